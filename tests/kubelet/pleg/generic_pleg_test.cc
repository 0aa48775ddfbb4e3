#include "kubelet/pleg/generic_pleg.h"

#include <gtest/gtest.h>

#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::pleg {
namespace {

using container::ContainerState;
using container::RunningPod;

class PlegTest : public ::testing::Test {
 protected:
  PlegTest()
      : pleg_(
            [this]() -> Result<std::vector<RunningPod>> {
              if (fail_) return Fail(Code::kUnavailable, "runtime down");
              return pods_;
            },
            &clock_, std::chrono::seconds(180)) {}

  void Set(std::vector<RunningPod::Container> containers, bool sandbox_ready = true) {
    RunningPod p;
    p.uid = "u1";
    p.sandboxes.push_back({"sb", sandbox_ready});
    p.containers = std::move(containers);
    pods_ = {p};
  }
  std::vector<PodLifecycleEvent> Relist() {
    EXPECT_TRUE(pleg_.Relist());
    return pleg_.TakeEvents();
  }

  kubelet::testing::FakeClock clock_;
  std::vector<RunningPod> pods_;
  bool fail_ = false;
  GenericPleg pleg_;
};

TEST_F(PlegTest, ReportsStartsDeathsAndRemovals) {
  Set({{"c1", "app", ContainerState::kRunning}});
  EXPECT_EQ(Relist(), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerStarted, "c1"},
                                                      {"u1", EventType::kContainerStarted, "sb"}}));
  EXPECT_TRUE(Relist().empty());  // nothing changed
  Set({{"c1", "app", ContainerState::kExited}});
  EXPECT_EQ(Relist(), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerDied, "c1"}}));
  Set({{"c2", "app", ContainerState::kCreated}});
  EXPECT_EQ(Relist(), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerRemoved, "c1"},
                                                      {"u1", EventType::kContainerChanged, "c2"}}));
  Set({{"c2", "app", ContainerState::kRunning}}, /*sandbox_ready=*/false);
  EXPECT_EQ(Relist(), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerStarted, "c2"},
                                                      {"u1", EventType::kContainerDied, "sb"}}));
  // A running container that vanishes died first.
  pods_.clear();
  EXPECT_EQ(Relist(), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerDied, "c2"},
                                                      {"u1", EventType::kContainerRemoved, "c2"},
                                                      {"u1", EventType::kContainerRemoved, "sb"}}));
}

TEST_F(PlegTest, UnhealthyWhenRelistsFailForTooLong) {
  EXPECT_TRUE(pleg_.Healthy());
  Relist();
  fail_ = true;
  EXPECT_FALSE(pleg_.Relist());
  clock_.Advance(std::chrono::seconds(179));
  EXPECT_TRUE(pleg_.Healthy());
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_FALSE(pleg_.Healthy());
  fail_ = false;
  Relist();
  EXPECT_TRUE(pleg_.Healthy());
}

}  // namespace
}  // namespace capstan::kubelet::pleg

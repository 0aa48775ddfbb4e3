#include "kubelet/podworkers/pod_workers.h"

#include <gtest/gtest.h>

#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::podworkers {
namespace {

// Records what the workers asked for; results are scripted.
class RecordingSyncer : public PodSyncer {
 public:
  Result<bool> SyncPod(UpdateType type, const api::k8s::Pod& pod) override {
    calls.push_back("sync:" + pod.metadata.name + ":" + std::to_string(static_cast<int>(type)) +
                    ":" + pod.metadata.labels.at("v"));
    if (during_sync) during_sync();
    if (fail_sync) return Fail(Code::kUnavailable, "boom");
    return terminal;
  }
  Status SyncTerminatingPod(const api::k8s::Pod& pod, std::optional<int64_t> grace) override {
    calls.push_back("terminating:" + pod.metadata.name + ":" +
                    (grace ? std::to_string(*grace) : "-"));
    if (fail_terminating) return Fail(Code::kUnavailable, "still running");
    return Ok();
  }
  Status SyncTerminatingRuntimePod(const container::RunningPod& pod) override {
    calls.push_back("terminating-runtime:" + pod.uid);
    return Ok();
  }
  Status SyncTerminatedPod(const api::k8s::Pod& pod) override {
    calls.push_back("terminated:" + pod.metadata.name);
    return Ok();
  }

  std::vector<std::string> calls;
  std::function<void()> during_sync;
  bool fail_sync = false;
  bool fail_terminating = false;
  bool terminal = false;
};

api::k8s::Pod Pod(const std::string& name, const std::string& version = "1") {
  api::k8s::Pod p;
  p.metadata.name = name;
  p.metadata.uid = name + "-uid";
  p.metadata.labels["v"] = version;
  return p;
}

class PodWorkersTest : public ::testing::Test {
 protected:
  kubelet::testing::FakeClock clock_;
  util::ManualExecutor executor_;
  RecordingSyncer syncer_;
  PodWorkers workers_{&syncer_, &executor_, &clock_,
                      PodWorkers::Options{std::chrono::seconds(60), std::chrono::seconds(10)}};
};

TEST_F(PodWorkersTest, UpdatesForOnePodRunOneAtATimeAndTheLatestWins) {
  workers_.UpdatePod({UpdateType::kCreate, Pod("a", "1"), std::nullopt, std::nullopt});
  // While the first sync runs, two more updates arrive: only the newest runs next.
  syncer_.during_sync = [&] {
    syncer_.during_sync = nullptr;
    workers_.UpdatePod({UpdateType::kUpdate, Pod("a", "2"), std::nullopt, std::nullopt});
    workers_.UpdatePod({UpdateType::kUpdate, Pod("a", "3"), std::nullopt, std::nullopt});
    EXPECT_EQ(executor_.Pending(), 1u);  // b's; no second worker for the same pod
  };
  workers_.UpdatePod({UpdateType::kSync, Pod("b"), std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls, (std::vector<std::string>{"sync:a:0:1", "sync:a:1:3", "sync:b:2:1"}));
  EXPECT_TRUE(workers_.Idle());
}

TEST_F(PodWorkersTest, ResyncsPeriodicallyAndRetriesErrorsSooner) {
  workers_.UpdatePod({UpdateType::kCreate, Pod("a"), std::nullopt, std::nullopt});
  executor_.RunAll();
  syncer_.calls.clear();
  clock_.Advance(std::chrono::seconds(59));
  workers_.Tick();
  EXPECT_EQ(executor_.RunAll(), 0);
  clock_.Advance(std::chrono::seconds(1));
  workers_.Tick();
  syncer_.fail_sync = true;
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls.size(), 1u);
  clock_.Advance(std::chrono::seconds(10));  // the back-off period, not a minute
  workers_.Tick();
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls.size(), 2u);
}

TEST_F(PodWorkersTest, KillIsStickyAndEndsTerminated) {
  workers_.UpdatePod({UpdateType::kCreate, Pod("a"), std::nullopt, std::nullopt});
  executor_.RunAll();
  workers_.UpdatePod({UpdateType::kKill, Pod("a"), std::nullopt, 5});
  EXPECT_TRUE(workers_.IsPodTerminationRequested("a-uid"));
  workers_.UpdatePod({UpdateType::kUpdate, Pod("a", "2"), std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls,
            (std::vector<std::string>{"sync:a:0:1", "terminating:a:5", "terminated:a"}));
  EXPECT_TRUE(workers_.IsPodTerminated("a-uid"));
  EXPECT_FALSE(workers_.CouldHaveRunningContainers("a-uid"));
  workers_.ForgetTerminated({"a-uid"});
  EXPECT_TRUE(workers_.IsKnown("a-uid"));
  workers_.ForgetTerminated({});
  EXPECT_FALSE(workers_.IsKnown("a-uid"));
}

TEST_F(PodWorkersTest, FailedTerminationIsRetried) {
  workers_.UpdatePod({UpdateType::kCreate, Pod("a"), std::nullopt, std::nullopt});
  executor_.RunAll();
  syncer_.fail_terminating = true;
  workers_.UpdatePod({UpdateType::kKill, Pod("a"), std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_FALSE(workers_.IsPodTerminated("a-uid"));
  syncer_.fail_terminating = false;
  clock_.Advance(std::chrono::seconds(10));
  workers_.Tick();
  executor_.RunAll();
  EXPECT_TRUE(workers_.IsPodTerminated("a-uid"));
}

TEST_F(PodWorkersTest, TerminalPodsTerminate) {
  syncer_.terminal = true;
  workers_.UpdatePod({UpdateType::kCreate, Pod("job"), std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls,
            (std::vector<std::string>{"sync:job:0:1", "terminating:job:-", "terminated:job"}));
  EXPECT_TRUE(workers_.IsPodTerminated("job-uid"));
}

TEST_F(PodWorkersTest, PodReAddedWhileTerminatingStartsAfresh) {
  workers_.UpdatePod({UpdateType::kCreate, Pod("a"), std::nullopt, std::nullopt});
  executor_.RunAll();
  workers_.UpdatePod({UpdateType::kKill, Pod("a"), std::nullopt, std::nullopt});
  workers_.UpdatePod({UpdateType::kCreate, Pod("a", "2"), std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls, (std::vector<std::string>{"sync:a:0:1", "terminating:a:-",
                                                     "terminated:a", "sync:a:0:2"}));
  EXPECT_FALSE(workers_.IsPodTerminationRequested("a-uid"));
}

TEST_F(PodWorkersTest, ReplacedStaticPodWaitsForItsPredecessorToTerminate) {
  auto old_pod = Pod("web");
  auto new_pod = Pod("web", "2");
  new_pod.metadata.uid = "web-uid-2";
  for (auto* p : {&old_pod, &new_pod}) {
    p->metadata.annotations["kubernetes.io/config.source"] = "file";
  }
  workers_.UpdatePod({UpdateType::kCreate, old_pod, std::nullopt, std::nullopt});
  executor_.RunAll();
  // The manifest changed: REMOVE old, ADD new (same name, new uid).
  syncer_.fail_terminating = true;  // the old pod takes a while to stop
  workers_.UpdatePod({UpdateType::kKill, old_pod, std::nullopt, std::nullopt});
  workers_.UpdatePod({UpdateType::kCreate, new_pod, std::nullopt, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls,
            (std::vector<std::string>{"sync:web:0:1", "terminating:web:-"}));  // new one waits
  syncer_.fail_terminating = false;
  clock_.Advance(std::chrono::seconds(10));
  workers_.Tick();
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls,
            (std::vector<std::string>{"sync:web:0:1", "terminating:web:-", "terminating:web:-",
                                      "terminated:web", "sync:web:0:2"}));
}

TEST_F(PodWorkersTest, OrphansFromTheRuntimeAreStopped) {
  container::RunningPod orphan;
  orphan.uid = "ghost";
  workers_.UpdatePod({UpdateType::kKill, {}, orphan, std::nullopt});
  executor_.RunAll();
  EXPECT_EQ(syncer_.calls, std::vector<std::string>{"terminating-runtime:ghost"});
  EXPECT_TRUE(workers_.IsPodTerminated("ghost"));
}

}  // namespace
}  // namespace capstan::kubelet::podworkers

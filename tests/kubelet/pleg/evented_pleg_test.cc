// EventedPleg against the fake CRI: runtime events become pod events at once, relisting
// slows down while the stream is up, and a broken or missing stream falls back to the
// kubelet's 1 s relist and is retried.
#include "kubelet/pleg/evented_pleg.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/cri/testing/fake_runtime_service.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::pleg {
namespace {

namespace v1 = api::cri::v1;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls `cond` for up to five seconds (the PLEG's stream runs on its own thread).
template <typename Cond>
bool Eventually(Cond cond) {
  auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return cond();
}

class EventedPlegTest : public ::testing::Test {
 protected:
  void Start(EventedPleg::Options options = Fast()) {
    pleg_ = std::make_unique<EventedPleg>(
        &runtime_,
        [this]() -> Result<std::vector<container::RunningPod>> {
          ++relists_;
          return std::vector<container::RunningPod>{};
        },
        &clock_, options);
    pleg_->Start();
  }
  static EventedPleg::Options Fast() {
    EventedPleg::Options o;
    o.retry_initial = milliseconds(5);
    o.retry_max = milliseconds(20);
    return o;
  }
  void TearDown() override {
    if (pleg_) {
      pleg_->Stop();
    }
  }

  std::string RunSandbox(const std::string& uid) {
    v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name("web");
    req.mutable_config()->mutable_metadata()->set_uid(uid);
    (*req.mutable_config()->mutable_labels())[kuberuntime::kPodUidLabel] = uid;
    return runtime_.RunPodSandbox(req)->pod_sandbox_id();
  }
  std::string CreateContainer(const std::string& sandbox) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox);
    req.mutable_config()->mutable_metadata()->set_name("app");
    return runtime_.CreateContainer(req)->container_id();
  }
  // Takes events until `n` have come (or five seconds passed).
  std::vector<PodLifecycleEvent> Take(size_t n) {
    std::vector<PodLifecycleEvent> got;
    Eventually([&] {
      for (auto& ev : pleg_->TakeEvents()) {
        got.push_back(std::move(ev));
      }
      return got.size() >= n;
    });
    return got;
  }

  kubelet::testing::FakeClock clock_;
  api::cri::testing::FakeRuntimeService runtime_{&clock_};
  std::atomic<int> relists_{0};
  std::unique_ptr<EventedPleg> pleg_;
};

TEST_F(EventedPlegTest, RuntimeEventsBecomePodEvents) {
  Start();
  ASSERT_TRUE(Eventually([&] { return pleg_->Streaming(); }));
  // Connected: a relist caught up, and relisting slows to the safety net's period.
  EXPECT_GE(relists_.load(), 1);
  EXPECT_EQ(pleg_->RelistPeriod(seconds(1)), std::chrono::minutes(5));

  std::string sb = RunSandbox("u1");
  std::string c = CreateContainer(sb);  // no pod event: nothing runs yet
  v1::StartContainerRequest start;
  start.set_container_id(c);
  ASSERT_TRUE(runtime_.StartContainer(start));
  EXPECT_EQ(Take(2), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerStarted, sb},
                                                     {"u1", EventType::kContainerStarted, c}}));

  ASSERT_TRUE(runtime_.ExitContainer(c, 1));  // exits on its own
  EXPECT_EQ(Take(1), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerDied, c}}));

  v1::RemoveContainerRequest remove;
  remove.set_container_id(c);
  ASSERT_TRUE(runtime_.RemoveContainer(remove));
  EXPECT_EQ(Take(2), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerDied, c},
                                                     {"u1", EventType::kContainerRemoved, c}}));

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(runtime_.StopPodSandbox(stop));
  EXPECT_EQ(Take(1), (std::vector<PodLifecycleEvent>{{"u1", EventType::kContainerDied, sb}}));
  EXPECT_TRUE(pleg_->TakeEvents().empty());
}

TEST_F(EventedPlegTest, HealthyForLongerWhileEventsFlow) {
  Start();
  ASSERT_TRUE(Eventually([&] { return pleg_->Streaming(); }));
  // The relist threshold grows to ten minutes while only the safety net relists.
  clock_.Advance(std::chrono::minutes(6));
  EXPECT_TRUE(pleg_->Healthy());
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_FALSE(pleg_->Healthy());
  ASSERT_TRUE(pleg_->Relist());
  EXPECT_TRUE(pleg_->Healthy());
}

TEST_F(EventedPlegTest, BrokenStreamFallsBackToRelisting) {
  EventedPleg::Options slow = Fast();
  slow.retry_initial = seconds(30);  // hold the fallback long enough to look at it
  Start(slow);
  ASSERT_TRUE(Eventually([&] { return pleg_->Streaming(); }));
  int relists = relists_.load();
  runtime_.FailContainerEventStreams(Error(Code::kResourceExhausted, "subscriber fell behind"));
  ASSERT_TRUE(Eventually([&] { return !pleg_->Streaming(); }));
  EXPECT_EQ(pleg_->RelistPeriod(seconds(1)), seconds(1));
  // It relisted for what the stream missed.
  EXPECT_TRUE(Eventually([&] { return relists_.load() > relists; }));
  // Events while the stream is down reach no one; the kubelet's relists find the changes.
  EXPECT_EQ(runtime_.recorder().CallCount("GetContainerEvents"), 1);
}

TEST_F(EventedPlegTest, RetriesTheStreamWithBackoff) {
  Start();
  ASSERT_TRUE(Eventually([&] { return pleg_->Streaming(); }));
  runtime_.recorder().InjectError("GetContainerEvents", Error(Code::kUnavailable, "restarting"), 2);
  runtime_.FailContainerEventStreams(Error(Code::kUnavailable, "runtime went away"));
  // Two failed attempts, then a stream again.
  ASSERT_TRUE(Eventually([&] {
    return runtime_.recorder().CallCount("GetContainerEvents") >= 4 && pleg_->Streaming();
  }));
  std::string sb = RunSandbox("u2");
  auto got = Take(1);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], (PodLifecycleEvent{"u2", EventType::kContainerStarted, sb}));
}

TEST_F(EventedPlegTest, RuntimeWithoutEventsIsRelistedEverySecond) {
  runtime_.recorder().InjectError("GetContainerEvents",
                                  Error(Code::kUnimplemented, "unknown method"), -1);
  EventedPleg::Options o = Fast();
  o.unimplemented_retry = std::chrono::hours(1);
  Start(o);
  ASSERT_TRUE(Eventually([&] { return relists_.load() >= 1; }));
  EXPECT_FALSE(pleg_->Streaming());
  EXPECT_EQ(pleg_->RelistPeriod(seconds(1)), seconds(1));
  EXPECT_EQ(runtime_.recorder().CallCount("GetContainerEvents"), 1);
  // Relisting is the whole PLEG now: it still reports changes.
  EXPECT_TRUE(pleg_->Relist());
  EXPECT_TRUE(pleg_->Healthy());
}

TEST_F(EventedPlegTest, StopEndsAnOpenStream) {
  Start();
  ASSERT_TRUE(Eventually([&] { return runtime_.ContainerEventSubscribers() == 1; }));
  pleg_->Stop();
  EXPECT_EQ(runtime_.ContainerEventSubscribers(), 0);
  EXPECT_FALSE(pleg_->Streaming());
}

TEST(PodUidOfEventTest, FromSandboxMetadataThenLabels) {
  v1::ContainerEventResponse ev;
  ev.set_container_id("c1");
  EXPECT_EQ(PodUidOfEvent(ev), "");
  auto* cs = ev.add_containers_statuses();
  cs->set_id("c1");
  (*cs->mutable_labels())[kuberuntime::kPodUidLabel] = "from-container";
  EXPECT_EQ(PodUidOfEvent(ev), "from-container");
  (*ev.mutable_pod_sandbox_status()->mutable_labels())[kuberuntime::kPodUidLabel] = "from-label";
  EXPECT_EQ(PodUidOfEvent(ev), "from-label");
  ev.mutable_pod_sandbox_status()->mutable_metadata()->set_uid("from-metadata");
  EXPECT_EQ(PodUidOfEvent(ev), "from-metadata");
}

TEST_F(EventedPlegTest, EventsWithoutAPodAreIgnored) {
  Start();
  ASSERT_TRUE(Eventually([&] { return pleg_->Streaming(); }));
  v1::ContainerEventResponse ev;
  ev.set_container_id("gone");
  ev.set_container_event_type(v1::CONTAINER_STOPPED_EVENT);
  runtime_.PushContainerEvent(ev);
  ev.mutable_pod_sandbox_status()->mutable_metadata()->set_uid("u3");
  runtime_.PushContainerEvent(ev);
  EXPECT_EQ(Take(1), (std::vector<PodLifecycleEvent>{{"u3", EventType::kContainerDied, "gone"}}));
}

}  // namespace
}  // namespace capstan::kubelet::pleg

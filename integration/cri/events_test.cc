// GetContainerEvents from a real capstan-cri: what the kubelet's evented PLEG listens to.
#include <mutex>
#include <thread>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

// Reads one GetContainerEvents stream on a thread until cancelled.
class EventListener {
 public:
  explicit EventListener(v1::RuntimeService::Stub& stub) {
    reader_ = stub.GetContainerEvents(&ctx_, v1::GetEventsRequest{});
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this] {
      v1::ContainerEventResponse ev;
      while (reader_->Read(&ev)) {
        std::lock_guard lock(mu_);
        events_.push_back(ev);
      }
    });
  }
  ~EventListener() {
    ctx_.TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }
  // The events about `id`, in order.
  std::vector<v1::ContainerEventResponse> About(const std::string& id) {
    std::lock_guard lock(mu_);
    std::vector<v1::ContainerEventResponse> out;
    for (const auto& e : events_) {
      if (e.container_id() == id) {
        out.push_back(e);
      }
    }
    return out;
  }
  static std::vector<v1::ContainerEventType> Types(
      const std::vector<v1::ContainerEventResponse>& events) {
    std::vector<v1::ContainerEventType> out;
    for (const auto& e : events) {
      out.push_back(e.container_event_type());
    }
    return out;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader_;
  std::mutex mu_;
  std::vector<v1::ContainerEventResponse> events_;
  std::thread thread_;
};

class ContainerEventsTest : public CriTest {};

TEST_F(ContainerEventsTest, StreamsTheLifecycleOfSandboxesAndContainers) {
  PullBusybox();
  EventListener events(cri_->runtime());
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("events", &pod);
  // A container that ends by itself: its STOPPED event comes from the exit, not from a call.
  std::string id =
      StartContainer(pod_id, pod, ContainerConfig("c", image_, {"sh", "-c", "sleep 0.3; exit 7"}));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto about = events.About(id);
        return !about.empty() && about.back().container_event_type() == v1::CONTAINER_STOPPED_EVENT;
      },
      10));
  auto about = events.About(id);
  EXPECT_EQ(
      EventListener::Types(about),
      (std::vector<v1::ContainerEventType>{v1::CONTAINER_CREATED_EVENT, v1::CONTAINER_STARTED_EVENT,
                                           v1::CONTAINER_STOPPED_EVENT}));
  const auto& stopped = about.back();
  EXPECT_GT(stopped.created_at(), about.front().created_at());
  EXPECT_EQ(stopped.pod_sandbox_status().id(), pod_id);
  EXPECT_EQ(stopped.pod_sandbox_status().metadata().name(), "events");
  bool found = false;
  for (const auto& cs : stopped.containers_statuses()) {
    if (cs.id() == id) {
      found = true;
      EXPECT_EQ(cs.state(), v1::CONTAINER_EXITED);
      EXPECT_EQ(cs.exit_code(), 7);
    }
  }
  EXPECT_TRUE(found) << "the event carries the container's status";

  v1::RemoveContainerRequest rm;
  rm.set_container_id(id);
  v1::RemoveContainerResponse rm_resp;
  ASSERT_TRUE(cri_->runtime().RemoveContainer(Ctx().get(), rm, &rm_resp).ok());
  EXPECT_TRUE(WaitFor(
      [&] { return events.About(id).back().container_event_type() == v1::CONTAINER_DELETED_EVENT; },
      5));

  // The sandbox has events of its own, as containerd sends them.
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod_id);
  v1::StopPodSandboxResponse stop_resp;
  ASSERT_TRUE(cri_->runtime().StopPodSandbox(Ctx().get(), stop, &stop_resp).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = events.About(pod_id);
        return !s.empty() && s.back().container_event_type() == v1::CONTAINER_STOPPED_EVENT;
      },
      5));
  EXPECT_EQ(
      EventListener::Types(events.About(pod_id)),
      (std::vector<v1::ContainerEventType>{v1::CONTAINER_CREATED_EVENT, v1::CONTAINER_STARTED_EVENT,
                                           v1::CONTAINER_STOPPED_EVENT}));
}

TEST_F(ContainerEventsTest, EveryListenerGetsTheEvents) {
  PullBusybox();
  EventListener first(cri_->runtime());
  EventListener second(cri_->runtime());
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("two-listeners", &pod);
  std::string id = StartContainer(pod_id, pod, ContainerConfig("c", image_, {"sleep", "60"}));
  ASSERT_TRUE(
      WaitFor([&] { return first.About(id).size() >= 2 && second.About(id).size() >= 2; }, 10));
  EXPECT_EQ(EventListener::Types(first.About(id)), EventListener::Types(second.About(id)));
}

}  // namespace
}  // namespace capstan::integration

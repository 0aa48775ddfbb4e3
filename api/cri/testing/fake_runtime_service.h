#pragma once
// FakeRuntimeService: a stateful in-memory CRI runtime for tests (as k8s.io/cri-api's
// FakeRuntimeService is for Go). Sandboxes and containers move through the CRI states;
// containers run until the test makes them exit (ExitContainer) or they are stopped.
// Every call is recorded and any RPC can be made to fail (recorder()). GetContainerEvents
// streams the events a runtime would send for each state change (sandboxes too, as
// containerd does); tests can push their own and break the streams. Thread-safe.

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/cri/testing/call_recorder.h"
#include "common/time.h"

namespace capstan::api::cri::testing {

class FakeImageService;

class FakeRuntimeService : public RuntimeService {
 public:
  struct Sandbox {
    std::string id;
    v1::PodSandboxConfig config;
    v1::PodSandboxState state = v1::SANDBOX_READY;
    int64_t created_at = 0;
    std::string ip;
  };
  struct Container {
    std::string id;
    std::string sandbox_id;
    v1::ContainerConfig config;
    std::string log_path;  // sandbox log_directory + config.log_path
    std::string image_ref;
    v1::ContainerState state = v1::CONTAINER_CREATED;
    int64_t created_at = 0;
    int64_t started_at = 0;
    int64_t finished_at = 0;
    int32_t exit_code = 0;
    std::string reason;
    std::string message;
    int64_t last_stop_timeout = -1;  // the timeout the last StopContainer call gave
  };
  using ExecHandler = std::function<Result<v1::ExecSyncResponse>(const v1::ExecSyncRequest&)>;

  // `clock` stamps created/started/finished times (a real clock when null). `images`, when
  // given, makes CreateContainer fail with NotFound for images it does not hold, and
  // resolves image refs, as a real runtime does.
  explicit FakeRuntimeService(const Clock* clock = nullptr, FakeImageService* images = nullptr);

  CallRecorder& recorder() { return recorder_; }

  // --- Test controls.
  // A running container exits: state EXITED with this code; the reason defaults to
  // "Completed" for 0 and "Error" otherwise (as runtimes report).
  ::capstan::Status ExitContainer(const std::string& id, int32_t exit_code,
                                  std::string reason = "");
  // The sandbox's network or runtime died (e.g. host reboot): it reports NOTREADY.
  ::capstan::Status SetSandboxNotReady(const std::string& id);
  // Answers ExecSync (default: exit code 0, no output) and StopContainer's exit code.
  void SetExecHandler(ExecHandler handler);
  // Exit code a container reports after StopContainer (137 when killed, 143 after SIGTERM
  // when timeout > 0 unless set).
  void SetStopExitCode(std::optional<int32_t> code);
  // When false, sandboxes get no IP (as with host networking or no CNI).
  void SetAssignIps(bool assign);

  // Container events: to every open GetContainerEvents stream.
  void PushContainerEvent(const v1::ContainerEventResponse& event);
  // Every open stream ends with `error` (as when the runtime restarts).
  void FailContainerEventStreams(const Error& error);
  // Open GetContainerEvents streams (tests wait for a subscriber before changing state).
  int ContainerEventSubscribers() const;

  std::vector<Sandbox> Sandboxes() const;
  std::vector<Container> Containers() const;
  std::optional<Container> FindContainer(const std::string& id) const;
  // Containers whose metadata name is `name` (across sandboxes), oldest first.
  std::vector<Container> ContainersNamed(const std::string& name) const;

  // --- RuntimeService.
  Result<v1::VersionResponse> Version(const v1::VersionRequest& request) override;
  Result<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& req) override;
  Result<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& req) override;
  Result<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const v1::RemovePodSandboxRequest& req) override;
  Result<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const v1::PodSandboxStatusRequest& req) override;
  Result<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& req) override;
  Result<v1::CreateContainerResponse> CreateContainer(
      const v1::CreateContainerRequest& req) override;
  Result<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& req) override;
  Result<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& req) override;
  Result<v1::RemoveContainerResponse> RemoveContainer(
      const v1::RemoveContainerRequest& req) override;
  Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& req) override;
  Result<v1::ContainerStatusResponse> ContainerStatus(
      const v1::ContainerStatusRequest& req) override;
  // Creates the running container's log file (and its directory) anew when it is missing,
  // as a runtime reopening its log writer does (fake_runtime_logs.cc).
  Result<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& req) override;
  Result<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& req) override;
  Result<v1::StatusResponse> Status(const v1::StatusRequest& req) override;
  ::capstan::Status GetContainerEvents(const v1::GetEventsRequest& request,
                                       const ContainerEventSink& sink, const CancelToken& cancel,
                                       const std::function<void()>& on_connected) override;

 private:
  struct EventSubscriber {
    std::deque<v1::ContainerEventResponse> queue;
    std::optional<Error> failure;
  };

  int64_t NowNanos() const;
  // Returns whether the container changed state.
  // The container `id`, or NotFound as the CRI answers for an unknown id.
  Result<Container*> ContainerLocked(const std::string& id);
  bool StopContainerLocked(Container& c, int64_t timeout);
  v1::PodSandboxStatus SandboxStatusLocked(const Sandbox& s) const;
  v1::ContainerStatus ContainerStatusLocked(const Container& c) const;
  // An event for `id` (a container, or the sandbox itself) with the sandbox's status and the
  // statuses of its containers, as containerd fills them; queued to every subscriber.
  void EmitLocked(const std::string& id, const std::string& sandbox_id,
                  v1::ContainerEventType type);

  const Clock* clock_;
  FakeImageService* images_;
  CallRecorder recorder_;
  mutable std::mutex mu_;
  std::map<std::string, Sandbox> sandboxes_;
  std::map<std::string, Container> containers_;
  ExecHandler exec_handler_;
  std::optional<int32_t> stop_exit_code_;
  bool assign_ips_ = true;
  int next_id_ = 1;
  std::list<std::shared_ptr<EventSubscriber>> subscribers_;
  std::condition_variable events_cv_;
};

}  // namespace capstan::api::cri::testing

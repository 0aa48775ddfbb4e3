#pragma once
// Runtime: capstan-cri's implementation of the CRI RuntimeService. Sandboxes are pinned
// namespaces (no pause process); containers are run by one capstan-monitor each. All state
// that matters is on disk (records under config.root, monitor files under config.state) and
// recovered by Create, so the daemon can be killed at any point.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/cri/runtime_service.h"
#include "cadvisor-lite/rate_tracker.h"
#include "cri/image/store.h"
#include "cri/network/network_plugin.h"
#include "cri/oci/cgroups/manager.h"
#include "cri/oci/spec.h"
#include "cri/runtime/config.h"
#include "cri/runtime/event_broadcaster.h"
#include "cri/runtime/exit_watcher.h"
#include "cri/runtime/record_store.h"
#include "cri/streaming/server.h"

namespace capstan::cri::runtime {

class Runtime : public api::cri::RuntimeService, public streaming::StreamingBackend {
 public:
  struct Deps {
    runtime::RuntimeConfig config;
    std::unique_ptr<oci::CgroupManager> cgroups;
    image::Store* images = nullptr;  // not owned
    std::unique_ptr<network::NetworkPlugin> network;
  };
  // Loads every record, reconciles it with what is running, cleans what a crash left.
  static Result<std::unique_ptr<Runtime>> Create(Deps deps);
  ~Runtime() override;

  // Where Exec, Attach and PortForward send their clients (not owned; set before serving).
  void SetStreamingServer(streaming::StreamingServer* server) { streaming_ = server; }

  // Whether any container (in any state) is built on the image: its layers are mounted.
  bool ImageInUse(std::string_view image_id) const;

  Result<v1::VersionResponse> Version(const v1::VersionRequest& req) override;
  Result<v1::StatusResponse> Status(const v1::StatusRequest& req) override;
  Result<v1::RuntimeConfigResponse> RuntimeConfig(const v1::RuntimeConfigRequest& req) override;
  Result<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(
      const v1::UpdateRuntimeConfigRequest& req) override;

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
  Result<v1::ContainerStatusResponse> ContainerStatus(
      const v1::ContainerStatusRequest& req) override;
  Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& req) override;
  Result<v1::UpdateContainerResourcesResponse> UpdateContainerResources(
      const v1::UpdateContainerResourcesRequest& req) override;
  Result<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& req) override;
  Result<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& req) override;
  Result<v1::ExecResponse> Exec(const v1::ExecRequest& req) override;
  Result<v1::AttachResponse> Attach(const v1::AttachRequest& req) override;
  Result<v1::PortForwardResponse> PortForward(const v1::PortForwardRequest& req) override;

  // The streaming server's callbacks (container_stream.cc).
  Result<streaming::StdioConnection> OpenExec(const streaming::StreamRequest& req) override;
  Result<streaming::StdioConnection> OpenAttach(const streaming::StreamRequest& req) override;
  Result<UniqueFd> DialPort(const std::string& sandbox_id, int32_t port) override;
  Result<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest& req) override;
  Result<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& req) override;
  Result<v1::PodSandboxStatsResponse> PodSandboxStats(
      const v1::PodSandboxStatsRequest& req) override;
  Result<v1::ListPodSandboxStatsResponse> ListPodSandboxStats(
      const v1::ListPodSandboxStatsRequest& req) override;
  Result<v1::ListMetricDescriptorsResponse> ListMetricDescriptors(
      const v1::ListMetricDescriptorsRequest& req) override;
  Result<v1::ListPodSandboxMetricsResponse> ListPodSandboxMetrics(
      const v1::ListPodSandboxMetricsRequest& req) override;

  // Every change of a sandbox or container, as containerd sends them (events.cc).
  capstan::Status GetContainerEvents(const v1::GetEventsRequest& req,
                                     const api::cri::ContainerEventSink& sink,
                                     const CancelToken& cancel,
                                     const std::function<void()>& on_connected) override;

 private:
  explicit Runtime(Deps deps);
  capstan::Status Recover();

  // Paths.
  std::string SandboxStateDir(const std::string& id) const;
  std::string ContainerStateDir(const std::string& id) const;

  // Steps shared between RPCs.
  capstan::Status StopContainerLocked(ContainerRecord& c, int64_t timeout_seconds);
  capstan::Status RemoveContainerLocked(ContainerRecord& c);
  capstan::Status StopSandboxLocked(SandboxRecord& s);
  // The init of a pod-shared PID namespace (pod_pid.cc): its pid and start time.
  Result<std::pair<pid_t, uint64_t>> StartPodInit(const std::string& state_dir);
  void StopPodInit(pid_t pid, uint64_t start_time);
  Result<oci::ContainerSpec> BuildSpec(const ContainerRecord& c, const SandboxRecord& s,
                                       const image::Image& img, const std::string& rootfs) const;
  capstan::Status MountRootfs(const std::string& id, const image::Image& img,
                              const std::string& target);
  void OnMonitorExit(const std::string& container_id);
  // An event for `id` (a container, or the sandbox itself when id == sandbox_id) carrying the
  // sandbox's status and the statuses of its containers. Called with no record's mu held.
  v1::ContainerEventResponse BuildEvent(const std::string& id, const std::string& sandbox_id,
                                        v1::ContainerEventType type);
  void EmitEvent(const std::string& id, const std::string& sandbox_id, v1::ContainerEventType type);
  void FillContainerStats(ContainerRecord& c, v1::ContainerStats* out);
  // CPU (with a rate from the last two samples of `key`) and memory from a cgroup's counters.
  void FillCgroupUsage(const std::string& key, int64_t now, const oci::CgroupStats& st,
                       v1::CpuUsage* cpu, v1::MemoryUsage* memory);
  void FillSandboxStats(SandboxRecord& s, v1::PodSandboxStats* out);
  // Bytes and inodes in the container's writable layer. A walk is remembered for 10 s, so
  // asks (the kubelet's ListContainerStats and ListPodSandboxStats, which carries the
  // containers too, back to back; crictl) do not each walk every file.
  std::pair<uint64_t, uint64_t> WritableLayerUsage(const std::string& id);
  void ForgetLayerUsageOfGoneContainers();

  Deps deps_;
  const runtime::RuntimeConfig& config_;
  RecordStore records_;
  EventBroadcaster events_;
  RealClock clock_;
  cadvisor::RateTracker cpu_rates_{&clock_};  // usageNanoCores per container and sandbox
  struct LayerUsage {
    std::chrono::steady_clock::time_point at;
    uint64_t bytes = 0, inodes = 0;
  };
  std::mutex layer_usage_mu_;
  std::map<std::string, LayerUsage> layer_usage_;
  std::unique_ptr<ExitWatcher> watcher_;
  streaming::StreamingServer* streaming_ = nullptr;
  // Notified whenever a container's record turns EXITED.
  std::mutex exit_mu_;
  std::condition_variable exit_cv_;
};

}  // namespace capstan::cri::runtime

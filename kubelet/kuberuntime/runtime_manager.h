#pragma once
// RuntimeManager: the kubelet's side of the CRI (kubeGenericRuntimeManager upstream). Reads
// a pod's state from the runtime, turns the pod spec into CRI calls (SyncPod) and tears
// pods down gracefully (KillPod). Safe to call for different pods concurrently; calls for
// one pod are serialised by the pod workers.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/container/pod_status.h"
#include "kubelet/events/recorder.h"
#include "kubelet/kuberuntime/dns.h"
#include "kubelet/kuberuntime/hooks.h"
#include "kubelet/kuberuntime/image_puller.h"
#include "kubelet/kuberuntime/node_context.h"
#include "kubelet/kuberuntime/pod_actions.h"
#include "kubelet/kuberuntime/sync_result.h"
#include "kubelet/util/backoff.h"

namespace capstan::kubelet::kuberuntime {

struct RuntimeManagerDeps {
  api::cri::RuntimeService* runtime = nullptr;
  api::cri::ImageService* images = nullptr;
  const Clock* clock = nullptr;
  NodeContext node;
  ResolvConf host_dns;
  util::HttpGetter* http = nullptr;  // httpGet hooks (null: unsupported)
  HandlerRunner::Sleeper sleep;      // sleep hooks (default: real sleep)
  bool serialize_image_pulls = true;
  events::EventRecorder* recorder = nullptr;  // events for describe (null: none)
  // Binds a volumeMount's subPath safely; returns the host path (null: subPath refused).
  std::function<Result<std::string>(const api::k8s::Pod& pod, const std::string& container,
                                    int mount_index, const std::string& volume_name,
                                    const std::string& volume_path, const std::string& sub_path)>
      prepare_sub_path;
};

class RuntimeManager {
 public:
  explicit RuntimeManager(RuntimeManagerDeps deps);

  // Asks the runtime for its name ("capstan", "containerd"), used in container ids.
  Status Init();
  const std::string& runtime_name() const { return runtime_name_; }
  const NodeContext& node() const { return deps_.node; }

  // The pod's sandboxes and containers, newest first.
  Result<container::PodStatus> GetPodStatus(const std::string& uid, const std::string& name,
                                            const std::string& ns);
  // Every pod the runtime has (all: also stopped sandboxes and exited containers).
  Result<std::vector<container::RunningPod>> GetPods(bool all);

  // Moves the pod toward its spec: see ComputePodActions for what that means.
  // `volume_paths` maps the pod's volume names to host paths.
  PodSyncResult SyncPod(const api::k8s::Pod& pod, const container::PodStatus& status,
                        const ProbeVerdicts& probes,
                        const std::map<std::string, std::string>& volume_paths);

  // Stops every container (preStop hooks first, in parallel, each within its grace period)
  // and then the sandboxes. `pod` may be null for pods the kubelet no longer knows; grace
  // periods then come from the containers' annotations.
  PodSyncResult KillPod(const api::k8s::Pod* pod, const container::RunningPod& running,
                        std::optional<int64_t> grace_override);
  // Removes the pod's sandboxes (and with them its containers) once it is terminated.
  Status RemovePod(const std::string& uid);

  // The crash-loop key of a container (pod + container + spec hash), as upstream.
  static std::string BackoffKey(const api::k8s::Pod& pod, const api::k8s::Container& c);
  util::Backoff& container_backoff() { return backoff_; }

 private:
  std::optional<ReasonedError> StartContainer(const std::string& sandbox_id,
                                              const api::cri::v1::PodSandboxConfig& sandbox,
                                              const api::k8s::Pod& pod,
                                              const api::k8s::Container& c, bool init,
                                              const container::PodStatus& status,
                                              const std::vector<std::string>& pod_ips,
                                              const std::map<std::string, std::string>& volumes);
  // Crash-loop back-off: an error when the container's last exit is too recent to restart.
  std::optional<ReasonedError> DoBackOff(const api::k8s::Pod& pod, const api::k8s::Container& c,
                                         const container::PodStatus& status);
  Status KillContainer(const api::k8s::Pod* pod, const std::string& id, const std::string& name,
                       const std::string& message, const std::string& reason,
                       std::optional<int64_t> grace_override, const std::string& pod_ip);
  void PruneInitContainers(const api::k8s::Pod& pod, const container::PodStatus& status, bool all);
  Result<std::string> TerminationMessageFile(const api::k8s::Pod& pod,
                                             const api::k8s::Container& c);
  int32_t RestartCountFromLogs(const api::k8s::Pod& pod, const api::k8s::Container& c) const;

  RuntimeManagerDeps deps_;
  std::string runtime_name_ = "cri";
  ImagePuller puller_;
  HandlerRunner hooks_;
  util::Backoff backoff_;
};

// The runtime's view of one CRI container (exposed for tests).
container::ContainerStatus ToContainerStatus(const api::cri::v1::ContainerStatus& s,
                                             const std::string& runtime_name);

}  // namespace capstan::kubelet::kuberuntime

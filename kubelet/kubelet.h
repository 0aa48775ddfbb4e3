#pragma once
// Kubelet: the sync loop wiring pod sources to pod workers to the runtime. Each Tick (driven
// by the injected clock; main calls it about ten times a second, tests call it directly):
//   1. applies ADD/UPDATE/REMOVE updates from the sources to the pod workers;
//   2. relists the runtime through the PLEG once a second and wakes pods whose containers
//      changed;
//   3. wakes pods whose probe results changed, and starts due probes;
//   4. lets the pod workers resync pods that are due (periodic, or retry after errors);
//   5. every two seconds, housekeeping: kills and removes pods the runtime runs that no
//      source wants any more, and forgets what they left.
// The pod workers call back into SyncPod / SyncTerminatingPod / SyncTerminatedPod.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "common/time.h"
#include "kubelet/cm/cgroup_manager.h"
#include "kubelet/config/kubelet_config.h"
#include "kubelet/kuberuntime/runtime_manager.h"
#include "kubelet/pleg/generic_pleg.h"
#include "kubelet/podworkers/pod_workers.h"
#include "kubelet/prober/manager.h"
#include "kubelet/sources/pod_config.h"
#include "kubelet/status/reason_cache.h"
#include "kubelet/status/status_manager.h"
#include "kubelet/util/executor.h"
#include "kubelet/volumes/volume_manager.h"

namespace capstan::kubelet {

struct KubeletOptions {
  config::KubeletConfiguration config;
  std::string node_name;
  std::string node_ip;
  std::string root_dir = "/var/lib/kubelet";
  int64_t memory_capacity_bytes = 0;
  kuberuntime::ResolvConf host_dns;
  std::chrono::milliseconds relist_period{1000};
  std::chrono::milliseconds housekeeping_period{2000};
};

struct KubeletDeps {
  const Clock* clock = nullptr;
  api::cri::RuntimeService* runtime = nullptr;
  api::cri::ImageService* images = nullptr;
  util::Executor* executor = nullptr;        // pod workers
  util::Executor* probe_executor = nullptr;  // probes (null: the pod workers' executor)
  sources::PodConfig* pod_config = nullptr;
  cm::CgroupManager* cgroups = nullptr;       // null: the runtime creates pod cgroups
  volumes::Mounter* mounter = nullptr;        // null: no Memory emptyDirs
  util::HttpGetter* http = nullptr;           // httpGet probes and hooks
  prober::GrpcHealthChecker* grpc = nullptr;  // grpc probes
  std::function<Status(const std::string&, int, std::chrono::milliseconds)> tcp_dial;
  kuberuntime::HandlerRunner::Sleeper sleep;  // sleep hooks
};

class Kubelet : public podworkers::PodSyncer {
 public:
  Kubelet(KubeletOptions options, KubeletDeps deps);
  ~Kubelet() override;

  // Talks to the runtime once and prepares the QoS cgroups.
  Status Init();
  void Tick();
  // Ticks until `stop` is set, sleeping on source updates in between.
  void Run(const std::atomic<bool>& stop);

  std::vector<api::k8s::Pod> GetPods() const;
  std::optional<api::k8s::Pod> GetPod(const std::string& uid) const;
  std::optional<api::k8s::PodStatus> GetPodStatus(const std::string& uid) const;
  bool WorkersIdle() const { return workers_.Idle(); }
  kuberuntime::RuntimeManager& runtime() { return runtime_; }
  prober::ProberManager& probes() { return probes_; }

  // PodSyncer.
  Result<bool> SyncPod(podworkers::UpdateType type, const api::k8s::Pod& pod) override;
  Status SyncTerminatingPod(const api::k8s::Pod& pod,
                            std::optional<int64_t> grace_period_override) override;
  Status SyncTerminatingRuntimePod(const container::RunningPod& pod) override;
  Status SyncTerminatedPod(const api::k8s::Pod& pod) override;

 private:
  void HandleSourceUpdates();
  void HandlePlegEvents();
  void HandleProbeResults();
  void Housekeeping();
  void CleanupOrphanedPodCgroups(const std::set<std::string>& desired,
                                 const std::set<std::string>& running);
  Status UpdateStatus(const api::k8s::Pod& pod, const container::PodStatus& runtime_status);
  bool IsDesired(const std::string& uid) const;

  KubeletOptions options_;
  KubeletDeps deps_;
  cm::CgroupNames cgroup_names_;
  kuberuntime::RuntimeManager runtime_;
  status::StatusManager status_;
  status::ReasonCache reasons_;
  prober::Prober prober_;
  prober::ProberManager probes_;
  pleg::GenericPleg pleg_;
  volumes::VolumeManager volumes_;
  podworkers::PodWorkers workers_;

  mutable std::mutex mu_;
  std::map<std::string, api::k8s::Pod> pods_;  // what the sources want, by uid
  std::optional<std::chrono::steady_clock::time_point> next_relist_;
  std::optional<std::chrono::steady_clock::time_point> next_housekeeping_;
};

}  // namespace capstan::kubelet

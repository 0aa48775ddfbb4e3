#pragma once
// Kubelet: the sync loop wiring pod sources to pod workers to the runtime. Each Tick (driven
// by the injected clock; main calls it about ten times a second, tests call it directly):
//   1. applies ADD/UPDATE/REMOVE updates from the sources to the pod workers;
//   2. wakes pods whose containers changed, as the PLEG reports (from the runtime's events
//      as they come, relisting once a second, or every five minutes while events flow);
//   3. wakes pods whose probe results changed, and starts due probes;
//   4. lets the pod workers resync pods that are due (periodic, or retry after errors);
//   5. every two seconds, housekeeping: kills and removes pods the runtime runs that no
//      source wants any more, and forgets what they left.
//   6. starts log rotation (every second), container GC (every minute), image GC (every
//      five minutes) and the refresh of API-data volumes (every ten seconds) on the GC
//      executor, each when its previous round is done.
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
#include "kubelet/images/image_gc_manager.h"
#include "kubelet/kuberuntime/container_gc.h"
#include "kubelet/kuberuntime/runtime_manager.h"
#include "kubelet/lifecycle/admission.h"
#include "kubelet/logs/container_log_manager.h"
#include "kubelet/pleg/evented_pleg.h"
#include "kubelet/podworkers/pod_workers.h"
#include "kubelet/prober/manager.h"
#include "kubelet/sources/pod_config.h"
#include "kubelet/status/reason_cache.h"
#include "kubelet/status/status_manager.h"
#include "kubelet/util/executor.h"
#include "kubelet/util/periodic.h"
#include "kubelet/volumes/csi_volumes.h"
#include "kubelet/volumes/data_volumes.h"
#include "kubelet/volumes/persistent_claim.h"
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
  // Follow the runtime's container events (relisting every 5 min while they flow, and every
  // relist_period when they do not); false: relist only.
  bool evented_pleg = false;
  std::chrono::milliseconds housekeeping_period{2000};
  // Log rotation checks (a stat per running container), container GC, image GC.
  std::chrono::milliseconds log_rotation_period{1000};
  std::chrono::milliseconds container_gc_period{std::chrono::minutes(1)};
  std::chrono::milliseconds image_gc_period{std::chrono::minutes(5)};
  // The pod sources whose first snapshot must arrive before pods no source wants are
  // cleaned up ("file", and "api" for a node of a cluster).
  std::vector<std::string> sources = {"file"};
  // How often running pods' configMap, secret, downwardAPI and projected volumes are brought
  // up to date with the API (upstream: at the pod's next sync, about a minute).
  std::chrono::milliseconds data_volume_refresh_period{std::chrono::seconds(10)};
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
  // Log rotation and garbage collection (null: inline in Tick). Each runs one round at a
  // time, so three threads never leave one waiting behind another.
  util::Executor* gc_executor = nullptr;
  images::FsStatFunc image_fs_stat;           // measures the image filesystem (null: statvfs)
  events::EventRecorder* recorder = nullptr;  // pod events (null: none)
  // ConfigMap and Secret data for env references and volumes (null: no API server).
  decltype(kuberuntime::NodeContext::object_data) object_data;
  // The Node as the API has it, for admission (null, or nullopt before it is known: pods
  // are admitted as scheduled).
  std::function<std::optional<lifecycle::NodeInfo>()> node_info;
  // The pressure conditions the node is under now ("MemoryPressure", ...), for the eviction
  // admit handler (null: none).
  std::function<std::vector<std::string>()> node_pressure;
  // Bound service-account tokens for projected volumes (null: no API server).
  decltype(volumes::DataSources::service_account_token) service_account_token;
  // Claims and volumes for persistentVolumeClaim volumes (null: no API server).
  volumes::ApiObjectGetter api_object;
  // The CSI drivers the plugin watcher registered (null: no csi volumes).
  volumes::CsiRegistry* csi_registry = nullptr;
};

class Kubelet : public podworkers::PodSyncer, public kuberuntime::PodStateProvider {
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
  // How many times the pod's status changed (the API status reporter writes new ones).
  uint64_t PodStatusGeneration(const std::string& uid) const { return status_.Generation(uid); }
  // Whether the pod's worker finished it: nothing of it runs or will run.
  // A pod the node rejected at admission counts as finished: it never ran.
  bool IsPodTerminated(const std::string& uid) const {
    return workers_.IsPodTerminated(uid) || IsRejected(uid);
  }
  bool WorkersIdle() const { return workers_.Idle(); }
  kuberuntime::RuntimeManager& runtime() { return runtime_; }
  // The cgroup of the pod and of all pods ("/kubepods/..."), or "" when the kubelet keeps
  // no pod cgroups (cgroupsPerQOS off, or no cgroup manager).
  std::string PodCgroupName(const api::k8s::Pod& pod) const;
  std::string KubepodsCgroupName() const;
  // The pods that hold resources: admitted and not finished (kubelet_eviction.cc).
  std::vector<api::k8s::Pod> ActivePods() const;
  // Evicts the pod as the eviction manager decided: Failed with reason Evicted and
  // `message`, an Evicted event, its containers killed (`grace_period_override` 0: at once).
  void EvictPod(const api::k8s::Pod& pod, const std::string& message,
                std::optional<int64_t> grace_period_override);
  // Removes every unused image image GC may remove (reclaim under disk pressure).
  void DeleteUnusedImages();
  prober::ProberManager& probes() { return probes_; }

  // PodSyncer.
  Result<bool> SyncPod(podworkers::UpdateType type, const api::k8s::Pod& pod) override;
  Status SyncTerminatingPod(const api::k8s::Pod& pod,
                            std::optional<int64_t> grace_period_override) override;
  Status SyncTerminatingRuntimePod(const container::RunningPod& pod) override;
  Status SyncTerminatedPod(const api::k8s::Pod& pod) override;

  // PodStateProvider (container GC).
  bool AllSourcesReady() const override;
  bool ShouldPodContentBeRemoved(const std::string& uid) const override;

 private:
  void HandleSourceUpdates();
  // Admission of a new pod from a source; false: rejected (Failed status and event set).
  bool Admit(const api::k8s::Pod& pod);
  // A pod refused at admission: never started, Failed with `reason`, and a Warning event.
  void RejectPod(const api::k8s::Pod& pod, const std::string& reason, const std::string& message);
  bool IsRejected(const std::string& uid) const;
  void HandlePlegEvents();
  void HandleProbeResults();
  void Housekeeping();
  void RefreshDataVolumes();
  // kubelet_cgroups.cc
  Status CreateQosCgroups();
  void UpdateBurstableCgroup();
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
  std::unique_ptr<pleg::PodLifecycleEventGenerator> pleg_;
  volumes::DataSources data_sources_;
  std::unique_ptr<volumes::CsiVolumes> csi_volumes_;
  volumes::VolumeManager volumes_;
  podworkers::PodWorkers workers_;
  logs::ContainerLogManager logs_;
  kuberuntime::ContainerGC container_gc_;
  images::ImageGCManager image_gc_;
  util::PeriodicTask log_rotation_task_;
  util::PeriodicTask log_compression_task_;  // apart, so size checks never wait for gzip
  util::PeriodicTask fast_logger_task_;      // heavy loggers' size checks, 10x as often
  util::PeriodicTask container_gc_task_;
  util::PeriodicTask image_gc_task_;
  util::PeriodicTask data_volume_task_;

  mutable std::mutex mu_;
  std::map<std::string, api::k8s::Pod> pods_;  // what the sources want, by uid
  std::set<std::string> rejected_;             // uids refused at admission
  std::optional<std::chrono::steady_clock::time_point> last_relist_;
  std::optional<std::chrono::steady_clock::time_point> next_housekeeping_;
  uint64_t burstable_shares_ = 0;  // last set on the Burstable QoS cgroup
};

}  // namespace capstan::kubelet

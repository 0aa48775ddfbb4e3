#include "kubelet/kubelet.h"

#include <algorithm>
#include <set>
#include <thread>

#include "common/log.h"
#include "kubelet/cm/qos.h"
#include "kubelet/events/recorder.h"
#include "kubelet/eviction/eviction_manager.h"

namespace capstan::kubelet {
namespace {

const log::Logger kLog("kubelet");

cm::CgroupDriver DriverOf(const config::KubeletConfiguration& c) {
  return c.cgroup_driver == "systemd" ? cm::CgroupDriver::kSystemd : cm::CgroupDriver::kCgroupfs;
}

kuberuntime::RuntimeManagerDeps RuntimeDeps(const KubeletOptions& o, const KubeletDeps& d) {
  kuberuntime::RuntimeManagerDeps r;
  r.runtime = d.runtime;
  r.images = d.images;
  r.clock = d.clock;
  r.node.node_name = o.node_name;
  r.node.node_ip = o.node_ip;
  r.node.root_dir = o.root_dir;
  r.node.pod_logs_dir = o.config.pod_logs_dir;
  r.node.cluster_dns = o.config.cluster_dns;
  r.node.cluster_domain = o.config.cluster_domain;
  r.node.resolv_conf = o.config.resolv_conf;
  r.node.cgroup_names = cm::CgroupNames(o.config.cgroup_root, DriverOf(o.config));
  r.node.memory_capacity_bytes = o.memory_capacity_bytes;
  r.node.node_allocatable["cpu"] =
      api::k8s::Quantity::FromUnits(std::max(1u, std::thread::hardware_concurrency()));
  if (o.memory_capacity_bytes > 0) {
    r.node.node_allocatable["memory"] = api::k8s::Quantity::FromUnits(o.memory_capacity_bytes);
  }
  r.node.seccomp_default = o.config.seccomp_default;
  r.node.seccomp_profile_root = o.root_dir + "/seccomp";
  r.host_dns = o.host_dns;
  r.http = d.http;
  r.sleep = d.sleep;
  r.serialize_image_pulls = o.config.serialize_image_pulls;
  r.recorder = d.recorder;
  r.node.object_data = d.object_data;
  return r;
}

std::unique_ptr<pleg::PodLifecycleEventGenerator> NewPleg(const KubeletOptions& o,
                                                          const KubeletDeps& d,
                                                          pleg::GenericPleg::Lister lister) {
  if (o.evented_pleg) {
    return std::make_unique<pleg::EventedPleg>(d.runtime, std::move(lister), d.clock,
                                               pleg::EventedPleg::Options{});
  }
  return std::make_unique<pleg::GenericPleg>(std::move(lister), d.clock);
}

logs::ContainerLogPolicy LogPolicy(const config::KubeletConfiguration& c) {
  auto p = logs::LogPolicyFromConfig(c);
  if (!p) {  // Validate rejects these; keep the defaults rather than stop rotating
    kLog.Warn("container log rotation uses the defaults", {{"error", p.error().message()}});
    return {};
  }
  return *p;
}

images::ImageGCPolicy ImageGcPolicy(const config::KubeletConfiguration& c) {
  return {c.image_gc_high_threshold_percent, c.image_gc_low_threshold_percent,
          c.image_minimum_gc_age};
}

prober::ProberDeps ProbeDeps(const KubeletDeps& d) {
  prober::ProberDeps p;
  p.runtime = d.runtime;
  p.http = d.http;
  if (d.tcp_dial) {
    p.tcp_dial = d.tcp_dial;
  }
  p.grpc = d.grpc;
  p.recorder = d.recorder;
  return p;
}

}  // namespace

Kubelet::Kubelet(KubeletOptions options, KubeletDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      cgroup_names_(options_.config.cgroup_root, DriverOf(options_.config)),
      runtime_([this] {
        auto r = RuntimeDeps(options_, deps_);
        r.prepare_sub_path = [this](const api::k8s::Pod& pod, const std::string& container,
                                    int index, const std::string& volume_name,
                                    const std::string& volume_path, const std::string& sub_path) {
          return volumes_.PrepareSubPath(
              {pod.metadata.uid, volume_name, volume_path, container, index, sub_path});
        };
        return r;
      }()),
      status_(deps_.clock),
      prober_(ProbeDeps(deps_)),
      probes_(&prober_, deps_.probe_executor ? deps_.probe_executor : deps_.executor, deps_.clock,
              [this](const std::string& uid) { return status_.GetPodStatus(uid); }),
      pleg_(NewPleg(options_, deps_, [this] { return runtime_.GetPods(true); })),
      data_sources_{deps_.object_data, deps_.service_account_token, {}},
      volumes_(options_.root_dir, deps_.mounter),
      workers_(this, deps_.executor, deps_.clock,
               podworkers::PodWorkers::Options{
                   std::chrono::duration_cast<std::chrono::seconds>(options_.config.sync_frequency),
                   std::chrono::seconds(10)}),
      logs_(deps_.runtime, deps_.clock, LogPolicy(options_.config)),
      container_gc_(deps_.runtime, deps_.clock, this, options_.config.pod_logs_dir, &logs_),
      image_gc_(deps_.runtime, deps_.images, deps_.clock, ImageGcPolicy(options_.config),
                deps_.image_fs_stat),
      log_rotation_task_(deps_.clock, options_.log_rotation_period, deps_.gc_executor,
                         [this] {
                           if (auto st = logs_.RotateLogs(); !st) {
                             kLog.Warn("container log rotation", {{"error", st.error().message()}});
                           }
                         }),
      log_compression_task_(deps_.clock, options_.log_rotation_period, deps_.gc_executor,
                            [this] { (void)logs_.CompressRotatedLogs(); }),
      fast_logger_task_(deps_.clock, options_.log_rotation_period / 10, deps_.gc_executor,
                        [this] { logs_.CheckFastLoggers(); }),
      container_gc_task_(
          deps_.clock, options_.container_gc_period, deps_.gc_executor,
          [this] {
            if (auto st = container_gc_.GarbageCollect(); !st) {
              kLog.Error("container garbage collection failed", {{"error", st.error().message()}});
            }
          }),
      image_gc_task_(
          deps_.clock, options_.image_gc_period, deps_.gc_executor,
          [this] {
            if (auto st = image_gc_.GarbageCollect(); !st) {
              kLog.Error("image garbage collection failed", {{"error", st.error().message()}});
            }
          }),
      data_volume_task_(deps_.clock, options_.data_volume_refresh_period, deps_.gc_executor,
                        [this] { RefreshDataVolumes(); }) {
  data_sources_.node_allocatable = RuntimeDeps(options_, deps_).node.node_allocatable;
  const std::string& root = options_.root_dir;
  (void)volumes_.RegisterPlugin(volumes::NewEmptyDirPlugin(root, deps_.mounter));
  (void)volumes_.RegisterPlugin(volumes::NewHostPathPlugin());
  (void)volumes_.RegisterPlugin(volumes::NewConfigMapPlugin(root, deps_.mounter, &data_sources_));
  (void)volumes_.RegisterPlugin(volumes::NewSecretPlugin(root, deps_.mounter, &data_sources_));
  (void)volumes_.RegisterPlugin(volumes::NewDownwardApiPlugin(root, deps_.mounter, &data_sources_));
  (void)volumes_.RegisterPlugin(volumes::NewProjectedPlugin(root, deps_.mounter, &data_sources_));
  if (deps_.csi_registry) {
    csi_volumes_ =
        std::make_unique<volumes::CsiVolumes>(root, deps_.csi_registry, deps_.api_object);
    (void)volumes_.RegisterPlugin(volumes::NewCsiInlinePlugin(csi_volumes_.get()));
  }
  (void)volumes_.RegisterPlugin(volumes::NewPersistentClaimPlugin(
      deps_.api_object, csi_volumes_.get(), std::chrono::seconds(deps_.api_object ? 5 : 0)));
}

Kubelet::~Kubelet() { pleg_->Stop(); }

Status Kubelet::Init() {
  CAPSTAN_TRY_WRAP(runtime_.Init(), "container runtime");
  kLog.Info("container runtime", {{"name", runtime_.runtime_name()}});
  pleg_->Start();
  return CreateQosCgroups();
}

std::vector<api::k8s::Pod> Kubelet::GetPods() const {
  std::lock_guard lock(mu_);
  std::vector<api::k8s::Pod> out;
  for (const auto& [uid, pod] : pods_) {
    out.push_back(pod);
  }
  return out;
}

std::optional<api::k8s::Pod> Kubelet::GetPod(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<api::k8s::PodStatus> Kubelet::GetPodStatus(const std::string& uid) const {
  return status_.GetPodStatus(uid);
}

bool Kubelet::IsDesired(const std::string& uid) const {
  std::lock_guard lock(mu_);
  return pods_.contains(uid);
}

bool Kubelet::AllSourcesReady() const {
  for (const auto& source : options_.sources) {
    if (!deps_.pod_config->SourceReady(source)) return false;
  }
  return true;
}

bool Kubelet::ShouldPodContentBeRemoved(const std::string& uid) const {
  if (!AllSourcesReady()) {
    return false;
  }
  // Workers first: a source adds a pod to pods_ before the workers hear of it, so a pod seen
  // by neither check was not wanted at the first one.
  if (workers_.IsKnown(uid) && !workers_.IsPodTerminated(uid)) {
    return false;
  }
  return !IsDesired(uid);
}

void Kubelet::HandleSourceUpdates() {
  for (auto& update : deps_.pod_config->Drain()) {
    // New pods are admitted oldest first, as upstream does.
    if (update.op == sources::PodOperation::kAdd) {
      std::stable_sort(update.pods.begin(), update.pods.end(), [](const auto& a, const auto& b) {
        return a.metadata.creation_timestamp.value_or(WallTime{}) <
               b.metadata.creation_timestamp.value_or(WallTime{});
      });
    }
    for (auto& pod : update.pods) {
      kLog.Info("pod update", {{"op", sources::PodOperationName(update.op)},
                               {"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                               {"uid", pod.metadata.uid},
                               {"source", update.source}});
      podworkers::UpdateType type = podworkers::UpdateType::kUpdate;
      {
        std::lock_guard lock(mu_);
        switch (update.op) {
          case sources::PodOperation::kAdd:
            type = podworkers::UpdateType::kCreate;
            pods_[pod.metadata.uid] = pod;
            break;
          case sources::PodOperation::kUpdate:
            type = podworkers::UpdateType::kUpdate;
            pods_[pod.metadata.uid] = pod;
            break;
          case sources::PodOperation::kRemove:
            type = podworkers::UpdateType::kKill;
            pods_.erase(pod.metadata.uid);
            break;
        }
      }
      // A pod the node rejected never runs: its updates change nothing, and once it is
      // removed it is forgotten.
      if (IsRejected(pod.metadata.uid)) {
        if (update.op == sources::PodOperation::kRemove) {
          std::lock_guard lock(mu_);
          rejected_.erase(pod.metadata.uid);
        }
        continue;
      }
      if (update.op == sources::PodOperation::kAdd && !workers_.IsKnown(pod.metadata.uid) &&
          !Admit(pod)) {
        continue;
      }
      // Deleted in the API: stopped within its grace period; the object goes once it has
      // (the API status reporter deletes it for good). It stays wanted until then.
      std::optional<int64_t> grace;
      if (update.op != sources::PodOperation::kRemove && pod.metadata.deletion_timestamp) {
        type = podworkers::UpdateType::kKill;
        grace = pod.metadata.deletion_grace_period_seconds;
      }
      workers_.UpdatePod({type, pod, std::nullopt, grace});
    }
  }
}

bool Kubelet::IsRejected(const std::string& uid) const {
  std::lock_guard lock(mu_);
  return rejected_.contains(uid);
}

namespace {
bool IsTerminalPhase(const std::string& phase) { return phase == "Succeeded" || phase == "Failed"; }
}  // namespace

bool Kubelet::Admit(const api::k8s::Pod& pod) {
  if (IsTerminalPhase(pod.status.phase)) {
    // Finished (or rejected) before this kubelet started: never run again, and not counted.
    std::lock_guard lock(mu_);
    rejected_.insert(pod.metadata.uid);
    return false;
  }
  if (pod.metadata.deletion_timestamp) return true;
  // The eviction manager's handler first, as upstream registers it: a node under pressure
  // refuses pods it would soon have to evict.
  if (deps_.node_pressure) {
    if (auto message = eviction::RejectUnderPressure(pod, deps_.node_pressure())) {
      RejectPod(pod, "Evicted", *message);
      return false;
    }
  }
  if (!deps_.node_info) return true;
  auto node = deps_.node_info();
  if (!node) return true;  // the Node is not known yet: the scheduler's word stands
  // The pods that hold resources: admitted, not finished (terminating ones still count).
  std::vector<api::k8s::Pod> active;
  for (const auto& other : GetPods()) {
    const std::string& uid = other.metadata.uid;
    if (uid == pod.metadata.uid || IsRejected(uid) || workers_.IsPodTerminated(uid) ||
        IsTerminalPhase(other.status.phase)) {
      continue;
    }
    auto st = status_.GetPodStatus(uid);
    if (st && IsTerminalPhase(st->phase)) continue;
    active.push_back(other);
  }
  auto verdict = lifecycle::CanAdmitPod(pod, *node, active);
  if (verdict.admit) return true;
  RejectPod(pod, verdict.reason, verdict.message);
  return false;
}

void Kubelet::RejectPod(const api::k8s::Pod& pod, const std::string& reason,
                        const std::string& message) {
  kLog.Info("pod rejected", {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                             {"reason", reason},
                             {"message", message}});
  {
    std::lock_guard lock(mu_);
    rejected_.insert(pod.metadata.uid);
  }
  if (deps_.recorder) {
    deps_.recorder->PodEvent(pod, "", events::kWarning, reason, message);
  }
  api::k8s::PodStatus status;
  status.phase = "Failed";
  status.reason = reason;
  status.message = "Pod was rejected: " + message;
  status.qos_class = cm::QosClassName(cm::ComputePodQos(pod));
  status_.SetPodStatus(pod, std::move(status));
}

void Kubelet::HandlePlegEvents() {
  auto now = deps_.clock->Monotonic();
  // The period changes when an evented PLEG's stream comes or goes.
  if (!last_relist_ || now - *last_relist_ >= pleg_->RelistPeriod(options_.relist_period)) {
    last_relist_ = now;
    if (auto st = pleg_->Relist(); !st) {
      kLog.Warn("relist failed", {{"error", st.error().message()}});
    }
  }
  std::set<std::string> woken;
  for (const auto& ev : pleg_->TakeEvents()) {
    kLog.Debug("pod lifecycle event",
               {{"uid", ev.pod_uid}, {"event", pleg::EventTypeName(ev.type)}, {"id", ev.id}});
    if (!woken.insert(ev.pod_uid).second) {
      continue;
    }
    if (auto pod = GetPod(ev.pod_uid); pod && !workers_.IsPodTerminationRequested(ev.pod_uid)) {
      workers_.UpdatePod({podworkers::UpdateType::kSync, *pod, std::nullopt, std::nullopt});
    }
  }
}

void Kubelet::HandleProbeResults() {
  std::set<std::string> woken;
  for (auto* results : {&probes_.liveness(), &probes_.startup(), &probes_.readiness()}) {
    for (const auto& u : results->TakeUpdates()) {
      woken.insert(u.pod_uid);
    }
  }
  for (const auto& uid : woken) {
    if (auto pod = GetPod(uid); pod && !workers_.IsPodTerminationRequested(uid)) {
      workers_.UpdatePod({podworkers::UpdateType::kSync, *pod, std::nullopt, std::nullopt});
    }
  }
  probes_.RunDueProbes();
}

void Kubelet::Housekeeping() {
  auto now = deps_.clock->Monotonic();
  if (next_housekeeping_ && now < *next_housekeeping_) {
    return;
  }
  next_housekeeping_ = now + options_.housekeeping_period;
  // Until every source gave its first snapshot, every pod would look unwanted.
  if (!AllSourcesReady()) {
    return;
  }
  std::set<std::string> desired;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, pod] : pods_) {
      desired.insert(uid);
    }
  }
  workers_.ForgetTerminated(desired);
  UpdateBurstableCgroup();
  auto running = runtime_.GetPods(true);
  if (!running) {
    kLog.Warn("housekeeping: listing pods", {{"error", running.error().message()}});
    return;
  }
  for (const auto& p : *running) {
    // A pod rejected at admission is wanted by its source but must not run.
    bool wanted = desired.contains(p.uid) && !IsRejected(p.uid);
    if (wanted || workers_.IsKnown(p.uid)) {
      continue;
    }
    bool alive = false;
    for (const auto& c : p.containers) {
      alive = alive || c.state == container::ContainerState::kRunning;
    }
    for (const auto& s : p.sandboxes) {
      alive = alive || s.ready;
    }
    if (alive) {
      kLog.Info("stopping an orphaned pod", {{"pod", p.namespace_ + "/" + p.name}, {"uid", p.uid}});
      workers_.UpdatePod({podworkers::UpdateType::kKill, {}, p, std::nullopt});
    } else if (desired.contains(p.uid)) {
      continue;  // a finished pod's containers stay for its logs until the pod goes
    } else if (auto st = runtime_.RemovePod(p.uid); !st) {
      kLog.Warn("removing a stopped orphaned pod",
                {{"uid", p.uid}, {"error", st.error().message()}});
    }
  }
  std::set<std::string> running_uids;
  for (const auto& p : *running) {
    running_uids.insert(p.uid);
  }
  if (deps_.cgroups && options_.config.cgroups_per_qos) {
    CleanupOrphanedPodCgroups(desired, running_uids);
  }
  // Volumes of pods gone while the kubelet was down (or whose teardown failed before).
  std::set<std::string> keep = desired;
  keep.insert(running_uids.begin(), running_uids.end());
  for (const auto& uid : workers_.KnownPods()) keep.insert(uid);
  if (auto st = volumes_.CleanupOrphanedPods(keep, csi_volumes_.get()); !st) {
    kLog.Warn("cleaning up orphaned pod volumes", {{"error", st.error().message()}});
  }
  runtime_.container_backoff().GC();
}

void Kubelet::Tick() {
  HandleSourceUpdates();
  HandlePlegEvents();
  HandleProbeResults();
  workers_.Tick();
  Housekeeping();
  log_rotation_task_.Tick();
  log_compression_task_.Tick();
  fast_logger_task_.Tick();
  container_gc_task_.Tick();
  if (image_gc_.Enabled()) {
    image_gc_task_.Tick();
  }
  data_volume_task_.Tick();
}

void Kubelet::RefreshDataVolumes() {
  for (const auto& pod : GetPods()) {
    const std::string& uid = pod.metadata.uid;
    if (!volumes_.HasRemountableVolumes(pod) || IsRejected(uid) ||
        workers_.IsPodTerminationRequested(uid)) {
      continue;
    }
    if (auto st = volumes_.RemountPod(pod); !st) {
      kLog.Warn("refreshing volumes", {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                                       {"error", st.error().message()}});
    }
  }
}

void Kubelet::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    Tick();
    deps_.pod_config->WaitForUpdates(std::chrono::milliseconds(100));
  }
}

}  // namespace capstan::kubelet

// The Kubelet's cgroups: the kubepods hierarchy with node allocatable on it, the Burstable
// parent's weight, and pod cgroups nobody wants any more.
#include <algorithm>
#include <thread>

#include "common/log.h"
#include "kubelet/kubelet.h"

namespace capstan::kubelet {
namespace {

const log::Logger kLog("kubelet");

// What enforceNodeAllocatable "pods" puts on the kubepods cgroup, as upstream: cpu.shares of
// the allocatable CPU and a memory limit of the allocatable memory (capacity less
// systemReserved and kubeReserved; eviction thresholds are the eviction manager's business).
cm::CgroupResources KubepodsResources(const KubeletOptions& o) {
  cm::CgroupResources r;
  const auto& enforce = o.config.enforce_node_allocatable;
  if (std::find(enforce.begin(), enforce.end(), "pods") == enforce.end()) {
    return r;
  }
  auto reserved = [&](const std::string& resource) {
    int64_t milli = 0;
    for (const auto* m : {&o.config.system_reserved, &o.config.kube_reserved}) {
      if (auto it = m->find(resource); it != m->end()) {
        if (auto q = api::k8s::Quantity::Parse(it->second)) {
          milli += q->MilliValue();
        }
      }
    }
    return milli;
  };
  int64_t cpu_milli = int64_t{std::max(1u, std::thread::hardware_concurrency())} * 1000;
  r.cpu_shares = cm::MilliCpuToShares(std::max<int64_t>(cpu_milli - reserved("cpu"), 0));
  if (o.memory_capacity_bytes > 0) {
    r.memory_limit_bytes =
        std::max<int64_t>(o.memory_capacity_bytes - reserved("memory") / 1000, 0);
  }
  return r;
}

}  // namespace

Status Kubelet::CreateQosCgroups() {
  if (!deps_.cgroups || !options_.config.cgroups_per_qos) {
    return Ok();
  }
  for (auto qos :
       {cm::QosClass::kGuaranteed, cm::QosClass::kBurstable, cm::QosClass::kBestEffort}) {
    cm::CgroupResources r;
    if (qos == cm::QosClass::kGuaranteed) {
      r = KubepodsResources(options_);  // the Guaranteed parent is kubepods itself
    }
    if (qos == cm::QosClass::kBestEffort) {
      r.cpu_shares = 2;  // best-effort pods only get what nobody else wants
    }
    CAPSTAN_TRY_WRAP(deps_.cgroups->Create(cgroup_names_.QosParent(qos), r), "QoS cgroups");
  }
  return Ok();
}

void Kubelet::UpdateBurstableCgroup() {
  if (!deps_.cgroups || !options_.config.cgroups_per_qos) {
    return;
  }
  // As upstream's QoS container manager: the Burstable parent weighs what its pods request,
  // against the Guaranteed pods beside it under kubepods.
  uint64_t shares = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, pod] : pods_) {
      if (cm::ComputePodQos(pod) == cm::QosClass::kBurstable) {
        shares += cm::PodResources(pod, std::nullopt).cpu_shares.value_or(0);
      }
    }
  }
  shares = std::max<uint64_t>(shares, 2);
  if (shares == burstable_shares_) {
    return;
  }
  cm::CgroupResources r;
  r.cpu_shares = shares;
  if (auto st = deps_.cgroups->Update(cgroup_names_.QosParent(cm::QosClass::kBurstable), r); !st) {
    kLog.Warn("updating the burstable cgroup", {{"error", st.error().message()}});
    return;
  }
  burstable_shares_ = shares;
}

void Kubelet::CleanupOrphanedPodCgroups(const std::set<std::string>& desired,
                                        const std::set<std::string>& running) {
  if (cgroup_names_.driver() != cm::CgroupDriver::kCgroupfs) {
    return;  // systemd slice names are cleaned up by systemd itself
  }
  for (auto qos :
       {cm::QosClass::kGuaranteed, cm::QosClass::kBurstable, cm::QosClass::kBestEffort}) {
    std::string parent = cgroup_names_.QosParent(qos);
    for (const auto& child : deps_.cgroups->Children(parent)) {
      if (!child.starts_with("pod")) {
        continue;
      }
      std::string uid = child.substr(3);
      if (desired.contains(uid) || running.contains(uid) || workers_.IsKnown(uid)) {
        continue;
      }
      // Containers the runtime still tears down keep it busy; the next round retries.
      if (auto st = deps_.cgroups->Destroy(parent + "/" + child); st) {
        kLog.Info("removed an orphaned pod cgroup", {{"cgroup", parent + "/" + child}});
      }
    }
  }
}

std::string Kubelet::PodCgroupName(const api::k8s::Pod& pod) const {
  return deps_.cgroups && options_.config.cgroups_per_qos ? cgroup_names_.PodCgroup(pod) : "";
}

std::string Kubelet::KubepodsCgroupName() const {
  return deps_.cgroups && options_.config.cgroups_per_qos ? cgroup_names_.Kubepods() : "";
}

}  // namespace capstan::kubelet

#include <algorithm>

#include "kubelet/cm/cgroup_manager.h"

namespace capstan::kubelet::cm {

CgroupNames::CgroupNames(std::string cgroup_root, CgroupDriver driver)
    : root_(std::move(cgroup_root)), driver_(driver) {
  while (root_.size() > 1 && root_.back() == '/') {
    root_.pop_back();
  }
  if (root_ == "/") {
    root_.clear();
  }
}

std::string CgroupNames::Join(const std::vector<std::string>& parts) const {
  std::string out = root_;
  if (driver_ == CgroupDriver::kCgroupfs) {
    for (const auto& p : parts) {
      out += "/" + p;
    }
    return out;
  }
  // systemd: each level is a slice named by the path of its ancestors, joined with '-'
  // (kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice); '-' inside
  // a part becomes '_' because '-' is the hierarchy separator.
  std::string prefix;
  for (auto p : parts) {
    std::replace(p.begin(), p.end(), '-', '_');
    prefix = prefix.empty() ? p : prefix + "-" + p;
    out += "/" + prefix + ".slice";
  }
  return out;
}

std::string CgroupNames::Kubepods() const { return Join({"kubepods"}); }

std::string CgroupNames::QosParent(QosClass qos) const {
  switch (qos) {
    case QosClass::kGuaranteed: return Join({"kubepods"});
    case QosClass::kBurstable: return Join({"kubepods", "burstable"});
    case QosClass::kBestEffort: return Join({"kubepods", "besteffort"});
  }
  return Kubepods();
}

std::string CgroupNames::PodCgroup(QosClass qos, const std::string& uid) const {
  switch (qos) {
    case QosClass::kGuaranteed: return Join({"kubepods", "pod" + uid});
    case QosClass::kBurstable: return Join({"kubepods", "burstable", "pod" + uid});
    case QosClass::kBestEffort: return Join({"kubepods", "besteffort", "pod" + uid});
  }
  return Kubepods();
}

std::string CgroupNames::PodCgroup(const api::k8s::Pod& pod) const {
  return PodCgroup(ComputePodQos(pod), pod.metadata.uid);
}

uint64_t MilliCpuToShares(int64_t milli_cpu) {
  constexpr int64_t kMinShares = 2, kMaxShares = 262144, kSharesPerCpu = 1024;
  if (milli_cpu <= 0) {
    return kMinShares;
  }
  int64_t shares = milli_cpu * kSharesPerCpu / 1000;
  return static_cast<uint64_t>(std::clamp(shares, kMinShares, kMaxShares));
}

int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period_us) {
  constexpr int64_t kMinQuotaPeriod = 1000;
  if (milli_cpu <= 0) {
    return 0;
  }
  return std::max(milli_cpu * period_us / 1000, kMinQuotaPeriod);
}

CgroupResources PodResources(const api::k8s::Pod& pod, std::optional<int64_t> pids_limit) {
  int64_t cpu_requests = 0, cpu_limits = 0, memory_limits = 0;
  bool all_cpu_limited = true, all_memory_limited = true;
  auto sum = [](const api::k8s::ResourceList& l, const char* name, bool milli) -> int64_t {
    auto it = l.find(name);
    if (it == l.end()) {
      return 0;
    }
    return milli ? it->second.MilliValue() : it->second.Value();
  };
  for (const auto& c : pod.spec.containers) {
    cpu_requests += sum(c.resources.requests, "cpu", true);
    int64_t cl = sum(c.resources.limits, "cpu", true);
    int64_t ml = sum(c.resources.limits, "memory", false);
    all_cpu_limited = all_cpu_limited && cl > 0;
    all_memory_limited = all_memory_limited && ml > 0;
    cpu_limits += cl;
    memory_limits += ml;
  }
  // Init containers run one at a time: the pod needs the largest of them, if larger.
  for (const auto& c : pod.spec.init_containers) {
    cpu_requests = std::max(cpu_requests, sum(c.resources.requests, "cpu", true));
    cpu_limits = std::max(cpu_limits, sum(c.resources.limits, "cpu", true));
    memory_limits = std::max(memory_limits, sum(c.resources.limits, "memory", false));
  }
  CgroupResources r;
  QosClass qos = ComputePodQos(pod);
  r.cpu_shares = qos == QosClass::kBestEffort ? 2 : MilliCpuToShares(cpu_requests);
  r.cpu_period = kCfsPeriodUs;
  if (all_cpu_limited && !pod.spec.containers.empty()) {
    r.cpu_quota = MilliCpuToQuota(cpu_limits, kCfsPeriodUs);
  }
  if (all_memory_limited && !pod.spec.containers.empty()) {
    r.memory_limit_bytes = memory_limits;
  }
  if (pids_limit && *pids_limit > 0) {
    r.pids_limit = *pids_limit;
  }
  return r;
}

}  // namespace capstan::kubelet::cm

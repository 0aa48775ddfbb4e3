#pragma once
// The kubepods cgroup hierarchy the kubelet owns: names per QoS class and pod, and the
// CgroupManager seam through which it creates them (cgroupfs on v1 or v2; a fake in tests).
//
//   <cgroupRoot>/kubepods                       Guaranteed pods: kubepods/pod<uid>
//   <cgroupRoot>/kubepods/burstable             Burstable pods:  .../burstable/pod<uid>
//   <cgroupRoot>/kubepods/besteffort            BestEffort pods: .../besteffort/pod<uid>
//
// Names are cgroupfs paths ("/kubepods/burstable/pod<uid>"); with the systemd driver the
// same hierarchy is spelled as slices (kubepods-burstable-pod<uid_>.slice), which the CRI
// cgroup_parent then carries.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"
#include "kubelet/cm/qos.h"

namespace capstan::kubelet::cm {

enum class CgroupDriver { kCgroupfs, kSystemd };

// Limits set on a QoS or pod cgroup (unset fields are left alone).
struct CgroupResources {
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;  // -1: unlimited
  std::optional<uint64_t> cpu_period;
  std::optional<int64_t> memory_limit_bytes;
  std::optional<int64_t> pids_limit;
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  // Creates `name` (and its parents) with `resources`; existing cgroups are updated.
  virtual Status Create(const std::string& name, const CgroupResources& resources) = 0;
  virtual Status Update(const std::string& name, const CgroupResources& resources) = 0;
  // Removes `name` and the (empty) cgroups below it; absent is success. Fails with
  // FailedPrecondition while processes remain.
  virtual Status Destroy(const std::string& name) = 0;
  virtual bool Exists(const std::string& name) const = 0;
  // The names of the direct children of `name` ("pod<uid>" dirs under a QoS parent).
  virtual std::vector<std::string> Children(const std::string& name) const = 0;
};

// cgroupfs under `root` (normally /sys/fs/cgroup): v2 when the root is the unified
// hierarchy (it has cgroup.controllers), v1 otherwise. Every path is under `root`, so the
// managers are tested on a plain directory tree.
Result<std::unique_ptr<CgroupManager>> NewCgroupfsManager(const std::string& root);
std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::string root);
std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string root);
// cpu.weight (v2) for cpu.shares (v1), as the kubelet converts it.
uint64_t CpuSharesToWeight(uint64_t shares);

class CgroupNames {
 public:
  CgroupNames(std::string cgroup_root, CgroupDriver driver);

  std::string Kubepods() const;
  std::string QosParent(QosClass qos) const;
  // The pod's cgroup, which is the CRI cgroup_parent of its sandbox.
  std::string PodCgroup(const api::k8s::Pod& pod) const;
  std::string PodCgroup(QosClass qos, const std::string& uid) const;
  CgroupDriver driver() const { return driver_; }

 private:
  std::string Join(const std::vector<std::string>& parts) const;
  std::string root_;
  CgroupDriver driver_;
};

// cpu.shares from milli-CPU (the kubelet's MilliCPUToShares: 1024 per CPU, at least 2, at
// most 262144) and the CFS quota for a limit over `period_us` (at least 1000 us).
uint64_t MilliCpuToShares(int64_t milli_cpu);
int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period_us);
constexpr int64_t kCfsPeriodUs = 100000;

// The pod-level limits (ResourceConfigForPod): shares from the sum of CPU requests; quota
// and memory limit only when every container sets that limit; plus the pids limit.
CgroupResources PodResources(const api::k8s::Pod& pod, std::optional<int64_t> pids_limit);

}  // namespace capstan::kubelet::cm

#pragma once
// CgroupManager: creates, limits, inspects and removes a cgroup by its path (relative to the
// hierarchy root, as the CRI's cgroup_parent and containerd's cgroupfs driver name them:
// "/kubepods/burstable/pod<uid>/<container-id>"). One implementation per kernel layout:
// LinuxCgroupV1Manager (a hierarchy per controller) and LinuxCgroupV2Manager (unified).
// All methods are thread-safe; Destroy is idempotent.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cadvisor-lite/cgroup_reader.h"
#include "common/error.h"

namespace capstan::cri::oci {

struct CgroupResources {
  std::optional<int64_t> cpu_shares;  // cgroup v1 units (2..262144); converted on v2
  std::optional<int64_t> cpu_quota;   // microseconds per period; <= 0 means unlimited
  std::optional<int64_t> cpu_period;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::optional<int64_t> memory_limit;             // bytes; 0 = unlimited
  std::optional<int64_t> memory_swap_limit;        // memory+swap bytes (v1 semantics)
  std::optional<int64_t> pids_limit;               // <= 0 = unlimited
  std::map<std::string, int64_t> hugepage_limits;  // "2MB" -> bytes
  std::map<std::string, std::string> unified;      // raw v2 files, applied on v2 only
  // Device access rules ("c 1:3 rwm"); {"a"} allows all; unset leaves the cgroup as created.
  std::optional<std::vector<std::string>> device_allow;
};

// A cgroup's counters, read by cadvisor-lite (shared with the kubelet's stats).
using CgroupStats = cadvisor::CgroupSample;

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual std::string_view Version() const = 0;  // "v1" or "v2"
  // Creates the cgroup (and missing parents) in every hierarchy; returns the directories a
  // process must join to be inside it.
  virtual Result<std::vector<std::string>> Create(const std::string& path) = 0;
  virtual Status Apply(const std::string& path, const CgroupResources& res) = 0;
  // Directories of an existing cgroup (no creation).
  virtual std::vector<std::string> Dirs(const std::string& path) const = 0;
  virtual Result<std::vector<pid_t>> Pids(const std::string& path) const = 0;
  virtual Result<CgroupStats> Stats(const std::string& path) const = 0;
  // Sends `sig` to every process in the cgroup.
  virtual Status KillAll(const std::string& path, int sig) = 0;
  // Removes the cgroup (it must be empty of processes); NotFound is success.
  virtual Status Destroy(const std::string& path) = 0;
};

// Looks at `cgroup_root` (normally /sys/fs/cgroup): a cgroup2 mount there means v2, otherwise
// v1 with the controllers listed in `mountinfo` (the text of /proc/self/mountinfo).
Result<std::unique_ptr<CgroupManager>> DetectCgroupManager(
    const std::string& cgroup_root = "/sys/fs/cgroup");

std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::map<std::string, std::string> hierarchies);
std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string root);

// Parses /proc/self/mountinfo text into {controller or "name=x" -> mount point} for cgroup v1
// mounts under `cgroup_root`. A mount with several controllers ("cpu,cpuacct") maps each.
std::map<std::string, std::string> ParseCgroupV1Mounts(std::string_view mountinfo,
                                                       const std::string& cgroup_root);

// v1 cpu.shares -> v2 cpu.weight (the kernel documentation's and runc's mapping).
int64_t SharesToWeight(int64_t shares);

}  // namespace capstan::cri::oci

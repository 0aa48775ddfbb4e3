#pragma once
// The node's own counters: CPU and memory from the root cgroup where the hierarchy has them
// (v1), from /proc otherwise (a v2 root has no memory files), plus load and the process
// count. Paths are under `proc_root` and the CgroupReader's root, for fixture tests.

#include <optional>
#include <string>

#include "cadvisor-lite/cgroup_reader.h"
#include "cadvisor-lite/parsers.h"
#include "common/error.h"

namespace capstan::cadvisor {

struct HostSample {
  uint64_t cpu_usage_ns = 0;
  uint64_t memory_total_bytes = 0;
  uint64_t memory_available_bytes = 0;  // capacity - working set, as the kubelet reports it
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_working_set_bytes = 0;
  uint64_t memory_rss_bytes = 0;
  uint64_t page_faults = 0, major_page_faults = 0;
  std::optional<LoadAvg> load;
  std::optional<uint64_t> max_pid;    // /proc/sys/kernel/pid_max
  std::optional<uint64_t> processes;  // tasks running now (loadavg's total)
};

class HostReader {
 public:
  HostReader(const CgroupReader* cgroups, std::string proc_root = "/proc");
  Result<HostSample> Read() const;

 private:
  const CgroupReader* cgroups_;
  std::string proc_root_;
};

// Nanoseconds per USER_HZ tick of /proc/stat.
uint64_t NanosPerClockTick();

}  // namespace capstan::cadvisor

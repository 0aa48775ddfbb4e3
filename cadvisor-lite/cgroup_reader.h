#pragma once
// Reads one cgroup's counters, on cgroup v1 (a hierarchy per controller under the root) and
// v2 (the unified hierarchy). Every path is under `root`, so tests read fixture trees written
// as the kernel writes them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cadvisor-lite/parsers.h"
#include "common/error.h"

namespace capstan::cadvisor {

struct CgroupSample {
  uint64_t cpu_usage_ns = 0;
  uint64_t cpu_periods = 0, cpu_throttled_periods = 0, cpu_throttled_ns = 0;
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_working_set_bytes = 0;  // usage - inactive_file, as cAdvisor and the kubelet
  uint64_t memory_rss_bytes = 0;
  uint64_t page_faults = 0, major_page_faults = 0;
  uint64_t oom_kills = 0;
  std::optional<uint64_t> memory_limit_bytes;  // unset: unlimited
  std::optional<uint64_t> pids;
  IoBytes io;
  std::map<std::string, uint64_t> hugetlb_usage_bytes;  // by page size ("2MB")
};

class CgroupReader {
 public:
  // v2 when `root` holds cgroup.controllers (the unified hierarchy), v1 otherwise.
  explicit CgroupReader(std::string root = "/sys/fs/cgroup");
  // The version fixed by the caller (a manager that already detected it).
  CgroupReader(std::string root, bool unified) : root_(std::move(root)), unified_(unified) {}
  // v1 with the hierarchies where mountinfo says they are (controller -> mount point), for
  // hosts that co-mount controllers without the usual symlinks.
  explicit CgroupReader(std::map<std::string, std::string> v1_hierarchies);

  bool unified() const { return unified_; }
  // The cgroup at `path` ("/kubepods/burstable/pod<uid>"; "" or "/" is the root). NotFound
  // when the cgroup is gone. A v2 root has no memory files: read the node from HostReader.
  Result<CgroupSample> Read(std::string_view path) const;

 private:
  std::string Dir(std::string_view controller, std::string_view path) const;
  Result<CgroupSample> ReadV1(std::string_view path) const;
  Result<CgroupSample> ReadV2(std::string_view path) const;

  std::string root_;
  bool unified_;
  std::map<std::string, std::string> v1_hierarchies_;  // empty: <root>/<controller>
};

}  // namespace capstan::cadvisor

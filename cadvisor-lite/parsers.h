#pragma once
// Pure parsers for the files cgroups (v1 and v2) and /proc expose, over string_view so they
// are tested on the kernel's exact text without a kernel. Malformed lines are skipped, never
// fatal: a stats reader must not fail because one kernel added a field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::cadvisor {

// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control, cpuacct.stat).
std::map<std::string, uint64_t, std::less<>> ParseFlatKeyed(std::string_view text);
// A file holding one number ("12345\n"); "max" (v2 for unlimited) is nullopt, as is garbage.
std::optional<uint64_t> ParseSingleValue(std::string_view text);

// /proc/meminfo, in bytes (the file's kB multiplied out).
struct MemInfo {
  uint64_t total = 0, free = 0, available = 0, buffers = 0, cached = 0;
  uint64_t active_file = 0, inactive_file = 0;
  uint64_t swap_total = 0, swap_free = 0;
};
MemInfo ParseMemInfo(std::string_view text);

// The aggregate "cpu" line of /proc/stat, in USER_HZ ticks.
struct ProcStatCpu {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t Busy() const { return user + nice + system + irq + softirq + steal; }
};
std::optional<ProcStatCpu> ParseProcStatCpu(std::string_view text);

struct LoadAvg {
  double one = 0, five = 0, fifteen = 0;
  uint64_t running = 0, total_threads = 0;
};
std::optional<LoadAvg> ParseLoadAvg(std::string_view text);

// One interface of /proc/<pid>/net/dev.
struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_errors = 0, tx_bytes = 0, tx_errors = 0;
};
std::vector<InterfaceStats> ParseNetDev(std::string_view text);

// Bytes read and written per device: v2 io.stat ("8:0 rbytes=.. wbytes=..") and v1
// blkio.throttle.io_service_bytes ("8:0 Read 123" lines), summed over devices.
struct IoBytes {
  uint64_t read = 0, write = 0;
};
IoBytes ParseIoStatV2(std::string_view text);
IoBytes ParseBlkioServiceBytesV1(std::string_view text);

// The working set as cAdvisor and the kubelet define it: usage less the inactive file cache.
inline uint64_t WorkingSet(uint64_t usage, uint64_t inactive_file) {
  return usage > inactive_file ? usage - inactive_file : 0;
}

// v1 hugetlb.<size>.usage_in_bytes and v2 hugetlb.<size>.current name their page size in the
// file name: "hugetlb.2MB.usage_in_bytes" -> "2MB".
std::optional<std::string> HugetlbPageSize(std::string_view file_name);

}  // namespace capstan::cadvisor

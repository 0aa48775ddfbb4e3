#include "cadvisor-lite/host_reader.h"

#include <unistd.h>

#include "common/file.h"

namespace capstan::cadvisor {

uint64_t NanosPerClockTick() {
  static const uint64_t kNanos = [] {
    long hz = ::sysconf(_SC_CLK_TCK);
    return uint64_t{1000000000} / static_cast<uint64_t>(hz > 0 ? hz : 100);
  }();
  return kNanos;
}

HostReader::HostReader(const CgroupReader* cgroups, std::string proc_root)
    : cgroups_(cgroups), proc_root_(std::move(proc_root)) {}

Result<HostSample> HostReader::Read() const {
  CAPSTAN_ASSIGN_OR_RETURN(std::string meminfo_text, ReadFile(proc_root_ + "/meminfo"));
  MemInfo mem = ParseMemInfo(meminfo_text);
  if (mem.total == 0) {
    return Fail(Code::kInternal, "{}/meminfo has no MemTotal", proc_root_);
  }
  HostSample h;
  h.memory_total_bytes = mem.total;
  std::optional<CgroupSample> root;
  if (!cgroups_->unified()) {
    if (auto s = cgroups_->Read("/")) {
      root = *s;
    }
  }
  if (root) {
    h.cpu_usage_ns = root->cpu_usage_ns;
    h.memory_usage_bytes = root->memory_usage_bytes;
    h.memory_working_set_bytes = root->memory_working_set_bytes;
    h.memory_rss_bytes = root->memory_rss_bytes;
    h.page_faults = root->page_faults;
    h.major_page_faults = root->major_page_faults;
  } else {
    // cAdvisor's machine-level fallback: what is not free, less the reclaimable file cache.
    h.memory_usage_bytes = mem.total - std::min(mem.free, mem.total);
    h.memory_working_set_bytes = WorkingSet(h.memory_usage_bytes, mem.inactive_file);
    if (auto stat = ReadFile(proc_root_ + "/stat")) {
      if (auto cpu = ParseProcStatCpu(*stat)) {
        h.cpu_usage_ns = cpu->Busy() * NanosPerClockTick();
      }
    }
  }
  h.memory_available_bytes =
      mem.total > h.memory_working_set_bytes ? mem.total - h.memory_working_set_bytes : 0;
  if (auto load = ReadFile(proc_root_ + "/loadavg")) {
    h.load = ParseLoadAvg(*load);
    if (h.load) h.processes = h.load->total_threads;
  }
  if (auto pid_max = ReadFile(proc_root_ + "/sys/kernel/pid_max")) {
    h.max_pid = ParseSingleValue(*pid_max);
  }
  return h;
}

}  // namespace capstan::cadvisor

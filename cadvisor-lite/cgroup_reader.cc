#include "cadvisor-lite/cgroup_reader.h"

#include <filesystem>

#include "common/file.h"

namespace capstan::cadvisor {

namespace {

// Limits above this are the kernel's "unlimited" (v1 writes PAGE_COUNTER_MAX pages).
constexpr uint64_t kUnlimited = uint64_t{1} << 62;

std::optional<uint64_t> ReadValue(const std::string& file) {
  auto text = ReadFile(file);
  return text ? ParseSingleValue(*text) : std::nullopt;
}

std::map<std::string, uint64_t, std::less<>> ReadKeyed(const std::string& file) {
  auto text = ReadFile(file);
  return text ? ParseFlatKeyed(*text) : std::map<std::string, uint64_t, std::less<>>{};
}

uint64_t Get(const std::map<std::string, uint64_t, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

void ReadHugetlb(const std::string& dir, CgroupSample& s) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto size = HugetlbPageSize(entry.path().filename().string());
    if (size) {
      if (auto v = ReadValue(entry.path())) {
        s.hugetlb_usage_bytes[*size] = *v;
      }
    }
  }
}

}  // namespace

CgroupReader::CgroupReader(std::string root)
    : root_(std::move(root)), unified_(PathExists(root_ + "/cgroup.controllers")) {}

CgroupReader::CgroupReader(std::map<std::string, std::string> v1_hierarchies)
    : unified_(false), v1_hierarchies_(std::move(v1_hierarchies)) {}

std::string CgroupReader::Dir(std::string_view controller, std::string_view path) const {
  std::string dir = root_;
  if (!v1_hierarchies_.empty()) {
    auto it = v1_hierarchies_.find(std::string(controller));
    if (it == v1_hierarchies_.end()) {
      return "/nonexistent";  // a controller this host does not mount: nothing to read
    }
    dir = it->second;
  } else if (!controller.empty()) {
    dir += '/';
    dir += controller;
  }
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (!path.empty()) {
    dir += '/';
    dir += path;
  }
  return dir;
}

Result<CgroupSample> CgroupReader::Read(std::string_view path) const {
  // A cgroup path names a directory inside the hierarchy: never let one climb out of it.
  if (path.find("..") != std::string_view::npos) {
    return Fail(Code::kInvalidArgument, "cgroup path {:?} is not a plain path", path);
  }
  return unified_ ? ReadV2(path) : ReadV1(path);
}

Result<CgroupSample> CgroupReader::ReadV1(std::string_view path) const {
  CgroupSample s;
  std::string mem = Dir("memory", path);
  auto usage = ReadValue(mem + "/memory.usage_in_bytes");
  if (!usage) {
    return Fail(Code::kNotFound, "cgroup {} has no memory usage (gone?)", path);
  }
  s.memory_usage_bytes = *usage;
  auto stat = ReadKeyed(mem + "/memory.stat");
  s.memory_working_set_bytes = WorkingSet(s.memory_usage_bytes, Get(stat, "total_inactive_file"));
  s.memory_rss_bytes = Get(stat, "total_rss");
  s.page_faults = Get(stat, "total_pgfault");
  s.major_page_faults = Get(stat, "total_pgmajfault");
  s.oom_kills = Get(ReadKeyed(mem + "/memory.oom_control"), "oom_kill");
  if (auto limit = ReadValue(mem + "/memory.limit_in_bytes"); limit && *limit < kUnlimited) {
    s.memory_limit_bytes = *limit;
  }
  s.cpu_usage_ns = ReadValue(Dir("cpuacct", path) + "/cpuacct.usage").value_or(0);
  auto cpu = ReadKeyed(Dir("cpu", path) + "/cpu.stat");
  s.cpu_periods = Get(cpu, "nr_periods");
  s.cpu_throttled_periods = Get(cpu, "nr_throttled");
  s.cpu_throttled_ns = Get(cpu, "throttled_time");
  s.pids = ReadValue(Dir("pids", path) + "/pids.current");
  std::string blkio = Dir("blkio", path);
  if (auto text = ReadFile(blkio + "/blkio.throttle.io_service_bytes_recursive")) {
    s.io = ParseBlkioServiceBytesV1(*text);
  } else if (auto text = ReadFile(blkio + "/blkio.throttle.io_service_bytes")) {
    s.io = ParseBlkioServiceBytesV1(*text);
  }
  ReadHugetlb(Dir("hugetlb", path), s);
  return s;
}

Result<CgroupSample> CgroupReader::ReadV2(std::string_view path) const {
  CgroupSample s;
  std::string dir = Dir("", path);
  if (!PathExists(dir + "/cgroup.procs")) {
    return Fail(Code::kNotFound, "cgroup {} does not exist", path);
  }
  auto cpu = ReadKeyed(dir + "/cpu.stat");
  s.cpu_usage_ns = Get(cpu, "usage_usec") * 1000;
  s.cpu_periods = Get(cpu, "nr_periods");
  s.cpu_throttled_periods = Get(cpu, "nr_throttled");
  s.cpu_throttled_ns = Get(cpu, "throttled_usec") * 1000;
  s.memory_usage_bytes = ReadValue(dir + "/memory.current").value_or(0);
  auto stat = ReadKeyed(dir + "/memory.stat");
  s.memory_working_set_bytes = WorkingSet(s.memory_usage_bytes, Get(stat, "inactive_file"));
  s.memory_rss_bytes = Get(stat, "anon");
  s.page_faults = Get(stat, "pgfault");
  s.major_page_faults = Get(stat, "pgmajfault");
  s.oom_kills = Get(ReadKeyed(dir + "/memory.events"), "oom_kill");
  s.memory_limit_bytes = ReadValue(dir + "/memory.max");  // "max" parses as unset
  s.pids = ReadValue(dir + "/pids.current");
  if (auto text = ReadFile(dir + "/io.stat")) {
    s.io = ParseIoStatV2(*text);
  }
  ReadHugetlb(dir, s);
  return s;
}

}  // namespace capstan::cadvisor

// cgroup v1: one hierarchy per controller (or per co-mounted group, "cpu,cpuacct").
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/file.h"
#include "cri/oci/cgroups/cgroup_fs.h"
#include "cri/oci/cgroups/manager.h"

namespace capstan::cri::oci {
namespace {

class LinuxCgroupV1Manager : public CgroupManager {
 public:
  explicit LinuxCgroupV1Manager(std::map<std::string, std::string> hierarchies)
      : hierarchies_(std::move(hierarchies)), stats_reader_(hierarchies_) {
    for (const auto& [controller, mount] : hierarchies_) {
      mounts_.insert(mount);
    }
  }

  std::string_view Version() const override { return "v1"; }

  std::vector<std::string> Dirs(const std::string& path) const override {
    std::vector<std::string> dirs;
    for (const auto& m : mounts_) {
      dirs.push_back(m + NormalizeCgroupPath(path));
    }
    return dirs;
  }

  Result<std::vector<std::string>> Create(const std::string& path) override {
    for (const auto& dir : Dirs(path)) {
      CAPSTAN_TRY(MkdirAll(dir));
    }
    if (auto it = hierarchies_.find("cpuset"); it != hierarchies_.end()) {
      CAPSTAN_TRY(InheritCpuset(it->second, NormalizeCgroupPath(path)));
    }
    return Dirs(path);
  }

  Status Apply(const std::string& path, const CgroupResources& r) override {
    std::string p = NormalizeCgroupPath(path);
    if (r.cpu_shares && *r.cpu_shares > 0) {
      CAPSTAN_TRY(
          Write("cpu", p, "cpu.shares", std::to_string(std::max<int64_t>(2, *r.cpu_shares))));
    }
    if (r.cpu_period && *r.cpu_period > 0) {
      CAPSTAN_TRY(Write("cpu", p, "cpu.cfs_period_us", std::to_string(*r.cpu_period)));
    }
    if (r.cpu_quota) {
      CAPSTAN_TRY(Write("cpu", p, "cpu.cfs_quota_us",
                        std::to_string(*r.cpu_quota > 0 ? *r.cpu_quota : -1)));
    }
    if (!r.cpuset_cpus.empty()) {
      CAPSTAN_TRY(Write("cpuset", p, "cpuset.cpus", r.cpuset_cpus));
    }
    if (!r.cpuset_mems.empty()) {
      CAPSTAN_TRY(Write("cpuset", p, "cpuset.mems", r.cpuset_mems));
    }
    if (r.memory_limit) {
      CAPSTAN_TRY(ApplyMemory(p, *r.memory_limit, r.memory_swap_limit.value_or(0)));
    }
    if (r.pids_limit && hierarchies_.count("pids")) {
      CAPSTAN_TRY(
          Write("pids", p, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
    }
    for (const auto& [size, limit] : r.hugepage_limits) {
      if (hierarchies_.count("hugetlb")) {
        CAPSTAN_TRY(
            Write("hugetlb", p, "hugetlb." + size + ".limit_in_bytes", std::to_string(limit)));
      }
    }
    if (r.device_allow && hierarchies_.count("devices")) {
      CAPSTAN_TRY(Write("devices", p, "devices.deny", "a"));
      for (const auto& rule : *r.device_allow) {
        CAPSTAN_TRY(Write("devices", p, "devices.allow", rule));
      }
    }
    return Ok();
  }

  Result<std::vector<pid_t>> Pids(const std::string& path) const override {
    auto it = hierarchies_.find("memory");
    CAPSTAN_ASSIGN_OR_RETURN(std::string text,
                             ReadFile(it->second + NormalizeCgroupPath(path) + "/cgroup.procs"));
    std::vector<pid_t> pids;
    std::istringstream in(text);
    pid_t pid;
    while (in >> pid) {
      pids.push_back(pid);
    }
    return pids;
  }

  Result<CgroupStats> Stats(const std::string& path) const override {
    return stats_reader_.Read(path);
  }

  Status KillAll(const std::string& path, int sig) override {
    auto pids = Pids(path);
    if (!pids) {
      return pids.error().code() == Code::kNotFound ? Ok() : Status(Fail(pids.error()));
    }
    for (pid_t pid : *pids) {
      ::kill(pid, sig);
    }
    return Ok();
  }

  Status Destroy(const std::string& path) override {
    std::string p = NormalizeCgroupPath(path);
    if (p.empty()) {
      return Fail(Code::kInvalidArgument, "refusing to remove the cgroup root");
    }
    for (const auto& m : mounts_) {
      CAPSTAN_TRY(RemoveCgroupDir(m + p));
    }
    return Ok();
  }

 private:
  Status Write(const std::string& controller, const std::string& path, const std::string& file,
               const std::string& value) {
    auto it = hierarchies_.find(controller);
    if (it == hierarchies_.end()) {
      return Fail(Code::kFailedPrecondition, "cgroup v1 controller {} is not mounted", controller);
    }
    return WriteFile(it->second + path + "/" + file, value);
  }

  Status ApplyMemory(const std::string& p, int64_t limit, int64_t swap) {
    std::string lim = limit > 0 ? std::to_string(limit) : "-1";
    std::string memsw = hierarchies_.at("memory") + p + "/memory.memsw.limit_in_bytes";
    bool has_swap = PathExists(memsw) && swap != 0;
    std::string sw = swap > 0 ? std::to_string(swap) : "-1";
    // memsw must stay >= limit at every step: the order depends on the direction.
    auto first = WriteFile(hierarchies_.at("memory") + p + "/memory.limit_in_bytes", lim);
    if (has_swap) {
      CAPSTAN_TRY(WriteFile(memsw, sw));
    }
    if (!first) {
      return Write("memory", p, "memory.limit_in_bytes", lim);
    }
    return Ok();
  }

  // A new cpuset cgroup starts with no CPUs and no memory nodes; copy them from the parent
  // at every level so processes can join.
  Status InheritCpuset(const std::string& mount, const std::string& path) {
    std::string current = mount;
    std::istringstream parts(path);
    std::string part;
    while (std::getline(parts, part, '/')) {
      if (part.empty()) {
        continue;
      }
      std::string child = current + "/" + part;
      for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        auto mine = ReadFile(child + "/" + f);
        if (mine && TrimNewline(*mine).empty()) {
          CAPSTAN_ASSIGN_OR_RETURN(std::string parent, ReadFile(current + "/" + f));
          CAPSTAN_TRY(WriteFile(child + "/" + f, TrimNewline(parent)));
        }
      }
      current = child;
    }
    return Ok();
  }

  std::map<std::string, std::string> hierarchies_;
  cadvisor::CgroupReader stats_reader_;
  std::set<std::string> mounts_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::map<std::string, std::string> h) {
  return std::make_unique<LinuxCgroupV1Manager>(std::move(h));
}

}  // namespace capstan::cri::oci

// cgroup v2: one unified hierarchy; controllers are enabled per level via subtree_control.
#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "common/file.h"
#include "cri/oci/cgroups/cgroup_fs.h"
#include "cri/oci/cgroups/manager.h"

namespace capstan::cri::oci {
namespace {

class LinuxCgroupV2Manager : public CgroupManager {
 public:
  explicit LinuxCgroupV2Manager(std::string root) : root_(std::move(root)) {}

  std::string_view Version() const override { return "v2"; }

  std::vector<std::string> Dirs(const std::string& path) const override {
    return {root_ + NormalizeCgroupPath(path)};
  }

  Result<std::vector<std::string>> Create(const std::string& path) override {
    std::string p = NormalizeCgroupPath(path);
    // Enable every available controller down the path, so limits can be set at the leaf.
    std::string current = root_;
    std::istringstream parts(p);
    std::string part;
    while (std::getline(parts, part, '/')) {
      if (part.empty()) {
        continue;
      }
      EnableControllers(current);
      current += "/" + part;
      CAPSTAN_TRY(MkdirAll(current));
    }
    return Dirs(path);
  }

  Status Apply(const std::string& path, const CgroupResources& r) override {
    std::string dir = root_ + NormalizeCgroupPath(path);
    if (r.cpu_shares && *r.cpu_shares > 0) {
      CAPSTAN_TRY(WriteFile(dir + "/cpu.weight", std::to_string(SharesToWeight(*r.cpu_shares))));
    }
    if (r.cpu_quota || r.cpu_period) {
      int64_t period = r.cpu_period.value_or(100000);
      std::string quota = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
      CAPSTAN_TRY(WriteFile(dir + "/cpu.max", quota + " " + std::to_string(period)));
    }
    if (!r.cpuset_cpus.empty()) {
      CAPSTAN_TRY(WriteFile(dir + "/cpuset.cpus", r.cpuset_cpus));
    }
    if (!r.cpuset_mems.empty()) {
      CAPSTAN_TRY(WriteFile(dir + "/cpuset.mems", r.cpuset_mems));
    }
    if (r.memory_limit) {
      int64_t lim = *r.memory_limit;
      CAPSTAN_TRY(WriteFile(dir + "/memory.max", lim > 0 ? std::to_string(lim) : "max"));
      // v1's memory+swap total becomes v2's swap-only figure.
      if (r.memory_swap_limit && PathExists(dir + "/memory.swap.max")) {
        int64_t sw = *r.memory_swap_limit;
        std::string v = sw > 0 && lim > 0 ? std::to_string(std::max<int64_t>(0, sw - lim)) : "max";
        CAPSTAN_TRY(WriteFile(dir + "/memory.swap.max", v));
      }
    }
    if (r.pids_limit) {
      CAPSTAN_TRY(
          WriteFile(dir + "/pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
    }
    for (const auto& [size, limit] : r.hugepage_limits) {
      std::string f = dir + "/hugetlb." + size + ".max";
      if (PathExists(f)) {
        CAPSTAN_TRY(WriteFile(f, std::to_string(limit)));
      }
    }
    for (const auto& [file, value] : r.unified) {
      if (file.find('/') != std::string::npos || file.find("..") != std::string::npos) {
        return Fail(Code::kInvalidArgument, "unified cgroup key {:?} is not a file name", file);
      }
      CAPSTAN_TRY(WriteFile(dir + "/" + file, value));
    }
    // Device rules on v2 need an eBPF program; capstan relies on the default capability set
    // (no CAP_SYS_ADMIN, and only nodes it creates in /dev) instead. See README.
    return Ok();
  }

  Result<std::vector<pid_t>> Pids(const std::string& path) const override {
    CAPSTAN_ASSIGN_OR_RETURN(std::string text,
                             ReadFile(root_ + NormalizeCgroupPath(path) + "/cgroup.procs"));
    std::vector<pid_t> pids;
    std::istringstream in(text);
    pid_t pid;
    while (in >> pid) {
      pids.push_back(pid);
    }
    return pids;
  }

  Result<CgroupStats> Stats(const std::string& path) const override {
    return cadvisor::CgroupReader(root_, /*unified=*/true).Read(path);
  }

  Status KillAll(const std::string& path, int sig) override {
    std::string dir = root_ + NormalizeCgroupPath(path);
    if (sig == SIGKILL && PathExists(dir + "/cgroup.kill")) {
      return WriteFile(dir + "/cgroup.kill", "1");
    }
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
    return RemoveCgroupDir(root_ + p);
  }

 private:
  void EnableControllers(const std::string& dir) {
    auto available = ReadFile(dir + "/cgroup.controllers");
    if (!available) {
      return;
    }
    std::istringstream in(*available);
    std::string c;
    std::string want;
    while (in >> c) {
      want += (want.empty() ? "+" : " +") + c;
    }
    if (!want.empty()) {
      (void)WriteFile(dir + "/cgroup.subtree_control", want);
    }
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string root) {
  return std::make_unique<LinuxCgroupV2Manager>(std::move(root));
}

}  // namespace capstan::cri::oci

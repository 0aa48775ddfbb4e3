// cgroup v1: one hierarchy per controller (/sys/fs/cgroup/<controller>/<name>).
#include <filesystem>

#include "common/file.h"
#include "kubelet/cm/cgroup_manager.h"
#include "kubelet/cm/cgroupfs.h"

namespace capstan::kubelet::cm {
namespace {

// The hierarchies the kubelet creates its cgroups in (those mounted on this host), including
// the named systemd hierarchy and the hybrid layout's unified one, where runtimes also place
// container cgroups under the pod's.
constexpr const char* kControllers[] = {"cpu",     "cpuacct", "cpuset",  "memory",
                                        "pids",    "blkio",   "hugetlb", "freezer",
                                        "devices", "systemd", "unified"};

class CgroupV1Manager : public CgroupManager {
 public:
  explicit CgroupV1Manager(std::string root) : root_(std::move(root)) {}

  Status Create(const std::string& name, const CgroupResources& r) override {
    for (const char* c : kControllers) {
      std::string hierarchy = root_ + "/" + c;
      std::error_code ec;
      if (!std::filesystem::is_directory(hierarchy, ec)) {
        continue;  // not mounted here
      }
      CAPSTAN_TRY(MkdirAll(hierarchy + name, 0755));
      if (std::string_view(c) == "cpuset") {
        CAPSTAN_TRY(InheritCpuset(hierarchy, name));
      }
    }
    return Update(name, r);
  }

  Status Update(const std::string& name, const CgroupResources& r) override {
    std::string cpu = root_ + "/cpu" + name;
    if (r.cpu_shares) {
      CAPSTAN_TRY(internal::WriteControl(cpu, "cpu.shares", std::to_string(*r.cpu_shares)));
    }
    if (r.cpu_period) {
      CAPSTAN_TRY(internal::WriteControl(cpu, "cpu.cfs_period_us", std::to_string(*r.cpu_period)));
    }
    if (r.cpu_quota) {
      CAPSTAN_TRY(internal::WriteControl(cpu, "cpu.cfs_quota_us",
                                         std::to_string(*r.cpu_quota > 0 ? *r.cpu_quota : -1)));
    }
    if (r.memory_limit_bytes) {
      CAPSTAN_TRY(internal::WriteControl(root_ + "/memory" + name, "memory.limit_in_bytes",
                                         std::to_string(*r.memory_limit_bytes)));
    }
    if (r.pids_limit) {
      CAPSTAN_TRY(internal::WriteControl(root_ + "/pids" + name, "pids.max",
                                         std::to_string(*r.pids_limit)));
    }
    return Ok();
  }

  Status Destroy(const std::string& name) override {
    for (const char* c : kControllers) {
      CAPSTAN_TRY(internal::RemoveCgroupDir(root_ + "/" + c + name));
    }
    return Ok();
  }

  bool Exists(const std::string& name) const override {
    std::error_code ec;
    return std::filesystem::is_directory(root_ + "/cpu" + name, ec) ||
           std::filesystem::is_directory(root_ + "/memory" + name, ec);
  }

  std::vector<std::string> Children(const std::string& name) const override {
    return internal::ChildDirs(root_ + "/cpu" + name);
  }

 private:
  // A new cpuset cgroup has no CPUs or memory nodes; tasks cannot join it until it gets its
  // parent's.
  Status InheritCpuset(const std::string& hierarchy, const std::string& name) {
    std::filesystem::path rel = name;
    std::string dir = hierarchy;
    for (const auto& part : rel.relative_path()) {
      std::string parent = dir;
      dir += "/" + part.string();
      for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        auto mine = ReadFile(dir + "/" + f);
        auto theirs = ReadFile(parent + "/" + f);
        if (theirs && (!mine || mine->find_first_not_of(" \n") == std::string::npos)) {
          CAPSTAN_TRY(internal::WriteControl(dir, f, *theirs));
        }
      }
    }
    return Ok();
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::string root) {
  return std::make_unique<CgroupV1Manager>(std::move(root));
}

}  // namespace capstan::kubelet::cm

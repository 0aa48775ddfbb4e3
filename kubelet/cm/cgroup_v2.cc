// cgroup v2: the unified hierarchy (/sys/fs/cgroup/<name>); controllers are enabled for
// children through each ancestor's cgroup.subtree_control.
#include <filesystem>

#include "common/file.h"
#include "kubelet/cm/cgroup_manager.h"
#include "kubelet/cm/cgroupfs.h"

namespace capstan::kubelet::cm {
namespace {

class CgroupV2Manager : public CgroupManager {
 public:
  explicit CgroupV2Manager(std::string root) : root_(std::move(root)) {}

  Status Create(const std::string& name, const CgroupResources& r) override {
    std::filesystem::path rel = name;
    std::string dir = root_;
    for (const auto& part : rel.relative_path()) {
      // The parent hands its controllers down before the child can use them; a controller
      // this kernel lacks is simply not enabled.
      for (const char* c : {"+cpu", "+memory", "+pids", "+cpuset", "+io", "+hugetlb"}) {
        (void)internal::WriteControl(dir, "cgroup.subtree_control", c);
      }
      dir += "/" + part.string();
      CAPSTAN_TRY(MkdirAll(dir, 0755));
    }
    return Update(name, r);
  }

  Status Update(const std::string& name, const CgroupResources& r) override {
    std::string dir = root_ + name;
    if (r.cpu_shares) {
      CAPSTAN_TRY(internal::WriteControl(dir, "cpu.weight",
                                         std::to_string(CpuSharesToWeight(*r.cpu_shares))));
    }
    if (r.cpu_quota || r.cpu_period) {
      std::string quota = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
      CAPSTAN_TRY(internal::WriteControl(
          dir, "cpu.max", quota + " " + std::to_string(r.cpu_period.value_or(kCfsPeriodUs))));
    }
    if (r.memory_limit_bytes) {
      CAPSTAN_TRY(internal::WriteControl(
          dir, "memory.max",
          *r.memory_limit_bytes > 0 ? std::to_string(*r.memory_limit_bytes) : std::string("max")));
    }
    if (r.pids_limit) {
      CAPSTAN_TRY(internal::WriteControl(
          dir, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
    }
    return Ok();
  }

  Status Destroy(const std::string& name) override {
    return internal::RemoveCgroupDir(root_ + name);
  }

  bool Exists(const std::string& name) const override {
    std::error_code ec;
    return std::filesystem::is_directory(root_ + name, ec);
  }

  std::vector<std::string> Children(const std::string& name) const override {
    return internal::ChildDirs(root_ + name);
  }

 private:
  std::string root_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string root) {
  return std::make_unique<CgroupV2Manager>(std::move(root));
}

}  // namespace capstan::kubelet::cm

#pragma once
// FakeCgroupManager: records the cgroups the kubelet creates, for tests. Thread-safe.

#include <map>
#include <mutex>

#include "kubelet/cm/cgroup_manager.h"

namespace capstan::kubelet::cm {

class FakeCgroupManager : public CgroupManager {
 public:
  Status Create(const std::string& name, const CgroupResources& resources) override {
    std::lock_guard lock(mu_);
    cgroups_[name] = resources;
    return Ok();
  }
  Status Update(const std::string& name, const CgroupResources& resources) override {
    std::lock_guard lock(mu_);
    if (!cgroups_.contains(name)) {
      return Fail(Code::kNotFound, "cgroup {} does not exist", name);
    }
    cgroups_[name] = resources;
    return Ok();
  }
  Status Destroy(const std::string& name) override {
    std::lock_guard lock(mu_);
    cgroups_.erase(name);
    return Ok();
  }
  bool Exists(const std::string& name) const override {
    std::lock_guard lock(mu_);
    return cgroups_.contains(name);
  }
  std::vector<std::string> Children(const std::string& name) const override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [path, r] : cgroups_) {
      if (path.size() > name.size() + 1 && path.starts_with(name + "/") &&
          path.find('/', name.size() + 1) == std::string::npos) {
        out.push_back(path.substr(name.size() + 1));
      }
    }
    return out;
  }
  std::map<std::string, CgroupResources> Cgroups() const {
    std::lock_guard lock(mu_);
    return cgroups_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, CgroupResources> cgroups_;
};

}  // namespace capstan::kubelet::cm

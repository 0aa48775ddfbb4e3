#include <sys/statfs.h>

#include <linux/magic.h>

#include <algorithm>
#include <sstream>

#include "common/file.h"
#include "cri/oci/cgroups/manager.h"

namespace capstan::cri::oci {

int64_t SharesToWeight(int64_t shares) {
  if (shares <= 0) {
    return 100;
  }
  shares = std::clamp<int64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

std::map<std::string, std::string> ParseCgroupV1Mounts(std::string_view mountinfo,
                                                       const std::string& cgroup_root) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(mountinfo)};
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) {
      continue;
    }
    std::istringstream left(line.substr(0, dash));
    std::string id, parent, dev, root, mountpoint;
    left >> id >> parent >> dev >> root >> mountpoint;
    std::istringstream right(line.substr(dash + 3));
    std::string fstype, source, superopts;
    right >> fstype >> source >> superopts;
    if (fstype != "cgroup" || mountpoint.rfind(cgroup_root, 0) != 0) {
      continue;
    }
    std::istringstream opts(superopts);
    std::string opt;
    while (std::getline(opts, opt, ',')) {
      static const char* kNotControllers[] = {"rw",       "ro",    "relatime", "noatime",
                                              "nosuid",   "nodev", "noexec",   "clone_children",
                                              "noprefix", "xattr"};
      bool skip = false;
      for (const char* n : kNotControllers) {
        skip = skip || opt == n;
      }
      if (!skip && opt.rfind("release_agent=", 0) != 0) {
        out.emplace(opt, mountpoint);
      }
    }
  }
  return out;
}

Result<std::unique_ptr<CgroupManager>> DetectCgroupManager(const std::string& cgroup_root) {
  struct statfs fs {};
  if (::statfs(cgroup_root.c_str(), &fs) != 0) {
    return FailErrno("statfs {}", cgroup_root);
  }
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    return NewCgroupV2Manager(cgroup_root);
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  auto hierarchies = ParseCgroupV1Mounts(mountinfo, cgroup_root);
  if (!hierarchies.count("memory") || !hierarchies.count("cpu")) {
    return Fail(Code::kFailedPrecondition,
                "no usable cgroup hierarchy under {}: need cgroup2, or v1 cpu and memory",
                cgroup_root);
  }
  return NewCgroupV1Manager(std::move(hierarchies));
}

}  // namespace capstan::cri::oci

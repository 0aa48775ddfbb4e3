#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {
namespace {

class SystemMounter : public Mounter {
 public:
  Status MountTmpfs(const std::string& target, const std::string& options) override {
    if (::mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      return FailErrno("mounting tmpfs on {}", target);
    }
    return Ok();
  }
  Status BindMount(const std::string& source, const std::string& target) override {
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return FailErrno("bind-mounting {} on {}", source, target);
    }
    return Ok();
  }
  Status Unmount(const std::string& target) override {
    if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return FailErrno("unmounting {}", target);
    }
    return Ok();
  }
  bool IsMountPoint(const std::string& path) const override {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string id, parent, dev, root, mountpoint;
      f >> id >> parent >> dev >> root >> mountpoint;
      if (mountpoint == path) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Mounter> NewSystemMounter() { return std::make_unique<SystemMounter>(); }

}  // namespace capstan::kubelet::volumes

#include <sys/mount.h>
#include <sys/stat.h>

#include "common/mount_table.h"
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
  bool IsMountPoint(const std::string& path) const override { return capstan::IsMountPoint(path); }
};

}  // namespace

std::unique_ptr<Mounter> NewSystemMounter() { return std::make_unique<SystemMounter>(); }

}  // namespace capstan::kubelet::volumes

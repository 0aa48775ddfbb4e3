#include "csi/lib/mount.h"

#include <sys/mount.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mount_table.h"

namespace capstan::csi {

Status BindMount(const std::string& source, const std::string& target, bool read_only) {
  CAPSTAN_TRY(MkdirAll(target, 0750));
  if (IsMountPoint(target)) {
    return Ok();
  }
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return FailErrno("bind-mounting {} on {}", source, target);
  }
  if (read_only) {
    // A bind mount takes its flags from a second, remounting call.
    if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      auto failure = FailErrno("making {} read-only", target);
      ::umount2(target.c_str(), MNT_DETACH);
      return failure;
    }
  }
  return Ok();
}

Status Unmount(const std::string& target, bool remove_dir) {
  while (IsMountPoint(target)) {
    if (::umount2(target.c_str(), 0) != 0 && ::umount2(target.c_str(), MNT_DETACH) != 0) {
      return FailErrno("unmounting {}", target);
    }
  }
  if (remove_dir && ::rmdir(target.c_str()) != 0 && errno != ENOENT) {
    return FailErrno("removing {}", target);
  }
  return Ok();
}

}  // namespace capstan::csi

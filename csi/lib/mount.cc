#include "csi/lib/mount.h"

#include <sys/mount.h>
#include <sys/statvfs.h>
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
    // A bind mount takes its flags from a second, remounting call, which must also repeat
    // the flags the source has (a FUSE mount's nosuid, nodev) or it drops them.
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
    struct statvfs vfs {};
    if (::statvfs(target.c_str(), &vfs) == 0) {
      if (vfs.f_flag & ST_NOSUID) flags |= MS_NOSUID;
      if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
      if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    }
    if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) {
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

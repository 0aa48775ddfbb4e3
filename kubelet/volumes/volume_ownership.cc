#include "kubelet/volumes/volume_ownership.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace capstan::kubelet::volumes {
namespace {

mode_t GroupMode(const struct stat& st) {
  mode_t mode = st.st_mode | S_IRGRP | S_IWGRP;
  if (S_ISDIR(st.st_mode)) mode |= S_IXGRP | S_ISGID;
  if (st.st_mode & S_IXUSR) mode |= S_IXGRP;
  return mode & 07777;
}

// Gives the directory open at `fd` and everything below it the group, walking by file
// descriptor: every name is opened relative to its parent's fd without following links, so
// a pod that swaps a directory for a symlink meanwhile cannot steer the walk onto host files.
// Other filesystems mounted inside are not entered. Takes ownership of `fd`.
Status Own(int fd, dev_t dev, gid_t gid, const std::string& where) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return FailErrno("stat {}", where);
  }
  if (::fchown(fd, static_cast<uid_t>(-1), gid) != 0 || ::fchmod(fd, GroupMode(st)) != 0) {
    ::close(fd);
    return FailErrno("setting the group of {}", where);
  }
  if (!S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Ok();
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return FailErrno("listing {}", where);
  }
  Status result = Ok();
  while (struct dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    struct stat child {};
    if (::fstatat(::dirfd(dir), name.c_str(), &child, AT_SYMLINK_NOFOLLOW) != 0) continue;
    // Links, devices, fifos and sockets keep their group, as they carry no data of the pod's.
    if ((!S_ISDIR(child.st_mode) && !S_ISREG(child.st_mode)) || child.st_dev != dev) continue;
    int child_fd = ::openat(::dirfd(dir), name.c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (child_fd < 0) {
      if (errno == ELOOP || errno == ENOENT) continue;  // swapped or gone meanwhile
      result = FailErrno("opening {}/{}", where, name);
      break;
    }
    if (auto st2 = Own(child_fd, dev, gid, where + "/" + name); !st2) {
      result = st2;
      break;
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Status SetVolumeOwnership(const std::string& dir, int64_t gid, const std::string& change_policy) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FailErrno("opening {}", dir);
  struct stat root {};
  if (::fstat(fd, &root) != 0) {
    ::close(fd);
    return FailErrno("stat {}", dir);
  }
  if (change_policy == "OnRootMismatch" && root.st_gid == static_cast<gid_t>(gid) &&
      (root.st_mode & 07777) == GroupMode(root)) {
    ::close(fd);
    return Ok();
  }
  return Own(fd, root.st_dev, static_cast<gid_t>(gid), dir);
}

}  // namespace capstan::kubelet::volumes

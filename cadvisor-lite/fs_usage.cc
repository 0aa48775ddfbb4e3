#include "cadvisor-lite/fs_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <set>
#include <utility>

namespace capstan::cadvisor {

Result<FsInfo> StatFilesystem(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    return FailErrno("statvfs {}", path);
  }
  FsInfo f;
  f.capacity_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  f.available_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  f.used_bytes = static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
  f.inodes = st.f_files;
  f.inodes_free = st.f_ffree;
  return f;
}

FilesUsage DirectFilesUsage(const std::string& dir) {
  FilesUsage u;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return u;
  }
  int dfd = ::dirfd(d);
  while (struct dirent* e = ::readdir(d)) {
    struct stat st {};
    if (e->d_name[0] == '.' || ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    u.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    ++u.inodes;
  }
  ::closedir(d);
  return u;
}

FilesUsage TreeUsage(const std::string& dir) {
  FilesUsage u;
  struct stat root {};
  if (::lstat(dir.c_str(), &root) != 0) {
    return u;
  }
  std::set<std::pair<dev_t, ino_t>> linked;  // hard-linked inodes, counted once
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue;  // gone while walking
    }
    if (st.st_dev != root.st_dev) {
      it.disable_recursion_pending();  // another filesystem mounted here (du -x)
      continue;
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second) {
      continue;
    }
    u.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    ++u.inodes;
  }
  return u;
}

}  // namespace capstan::cadvisor

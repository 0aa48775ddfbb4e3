#include "cadvisor-lite/fs_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

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

}  // namespace capstan::cadvisor

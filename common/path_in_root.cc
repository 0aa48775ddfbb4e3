#include "common/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace capstan {

namespace {

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    if (j > i) {
      parts.push_back(path.substr(i, j - i));
    }
    i = j + 1;
  }
  return parts;
}

}  // namespace

Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, mode_t mode,
                            Resolve resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve =
      (resolve == Resolve::kInRoot ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_MAGICLINKS;
  std::string p(path.empty() ? "." : path);
  for (;;) {
    long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof(how));
    if (fd >= 0) {
      return UniqueFd(static_cast<int>(fd));
    }
    if (errno != EAGAIN && errno != EINTR) {
      return FailErrno("opening {} in root", p);
    }
  }
}

Result<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode, Resolve resolve) {
  std::string prefix;
  UniqueFd current;
  for (std::string_view part : Components(path)) {
    if (part == "..") {
      return Fail(Code::kInvalidArgument, "path {} has a '..' component", path);
    }
    std::string parent = prefix.empty() ? "." : prefix;
    // Relative to the root: RESOLVE_BENEATH refuses absolute paths.
    if (!prefix.empty()) prefix += "/";
    prefix += part;
    auto fd = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY, 0, resolve);
    if (fd) {
      current = std::move(*fd);
      continue;
    }
    if (fd.error().err_no() != ENOENT) {
      return Fail(fd.error());
    }
    CAPSTAN_ASSIGN_OR_RETURN(UniqueFd parent_fd,
                             OpenInRoot(root_fd, parent, O_PATH | O_DIRECTORY, 0, resolve));
    std::string name(part);
    if (::mkdirat(parent_fd.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
      return FailErrno("creating directory {}", prefix);
    }
    CAPSTAN_ASSIGN_OR_RETURN(current,
                             OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY, 0, resolve));
  }
  if (!current) {
    return OpenInRoot(root_fd, ".", O_PATH | O_DIRECTORY, 0, resolve);
  }
  return current;
}

Result<UniqueFd> EnsureFileInRoot(int root_fd, std::string_view path) {
  auto existing = OpenInRoot(root_fd, path, O_PATH);
  if (existing) {
    return existing;
  }
  size_t slash = path.find_last_of('/');
  std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash);
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd dir_fd, MkdirAllInRoot(root_fd, dir));
  // mknodat needs a real directory fd, not O_PATH; reopen the directory in root.
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd real_dir, OpenInRoot(root_fd, dir, O_RDONLY | O_DIRECTORY));
  if (::mknodat(real_dir.get(), name.c_str(), S_IFREG | 0644, 0) != 0 && errno != EEXIST) {
    return FailErrno("creating file {}", path);
  }
  return OpenInRoot(root_fd, path, O_PATH);
}

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace capstan

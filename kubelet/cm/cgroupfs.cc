#include "kubelet/cm/cgroupfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "kubelet/cm/cgroup_manager.h"

namespace capstan::kubelet::cm {

uint64_t CpuSharesToWeight(uint64_t shares) {
  // [2, 262144] maps linearly onto [1, 10000].
  if (shares < 2) {
    shares = 2;
  }
  return 1 + ((shares - 2) * 9999) / 262142;
}

Result<std::unique_ptr<CgroupManager>> NewCgroupfsManager(const std::string& root) {
  std::error_code ec;
  if (std::filesystem::exists(root + "/cgroup.controllers", ec)) {
    return NewCgroupV2Manager(root);
  }
  if (std::filesystem::is_directory(root + "/cpu", ec) ||
      std::filesystem::is_directory(root + "/memory", ec)) {
    return NewCgroupV1Manager(root);
  }
  return Fail(Code::kFailedPrecondition, "{} is neither a cgroup v1 nor a v2 hierarchy", root);
}

namespace internal {

Status WriteControl(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  // Control files exist already; O_CREAT only so fixture trees work the same way.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, 0644);
  if (fd < 0) {
    return FailErrno("opening {}", path);
  }
  ssize_t n = ::write(fd, value.data(), value.size());
  int saved = errno;
  ::close(fd);
  if (n < 0) {
    errno = saved;
    return FailErrno("writing {:?} to {}", value, path);
  }
  return Ok();
}

std::vector<std::string> ChildDirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) {
      out.push_back(e.path().filename());
    }
  }
  return out;
}

Status RemoveCgroupDir(const std::string& dir) {
  // Child cgroups first: exited containers' cgroups the runtime has not removed yet hold no
  // processes and go with their pod.
  for (const auto& child : ChildDirs(dir)) {
    CAPSTAN_TRY(RemoveCgroupDir(dir + "/" + child));
  }
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
    return Ok();
  }
  if (errno == EBUSY || errno == ENOTEMPTY) {
    // A fixture tree holds the control files we wrote; a real cgroup dir never does.
    std::error_code ec;
    bool only_files = true;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      only_files = only_files && !e.is_directory(ec);
    }
    if (errno == ENOTEMPTY && only_files && RemoveAll(dir)) {
      return Ok();
    }
    return Fail(Code::kFailedPrecondition, "cgroup {} is still in use", dir);
  }
  return FailErrno("removing cgroup {}", dir);
}

}  // namespace internal
}  // namespace capstan::kubelet::cm

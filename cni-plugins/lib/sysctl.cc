#include "cni-plugins/lib/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/unique_fd.h"

namespace capstan::cni {

Status WriteSysctl(std::string_view key, std::string_view value) {
  std::string path = "/proc/sys/" + std::string(key);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening {}", path);
  }
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return FailErrno("writing {} to {}", value, path);
  }
  return Ok();
}

Result<std::string> ReadSysctl(std::string_view key) {
  std::string path = "/proc/sys/" + std::string(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening {}", path);
  }
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf));
  if (n < 0) {
    return FailErrno("reading {}", path);
  }
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

}  // namespace capstan::cni

#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "common/unique_fd.h"

namespace capstan {

Result<std::string> ReadFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("reading {}", path.string());
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("reading {}", path.string());
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {
Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("writing {}", path.string());
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}
}  // namespace

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) {
    return FailErrno("creating {}", tmp.string());
  }
  CAPSTAN_TRY(WriteAll(fd.get(), data, tmp));
  if (::fsync(fd.get()) != 0) {
    return FailErrno("syncing {}", tmp.string());
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return FailErrno("renaming {} to {}", tmp.string(), path.string());
  }
  return Ok();
}

Status WriteFile(const std::filesystem::path& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening {}", path.string());
  }
  return WriteAll(fd.get(), data, path);
}

Status MkdirAll(const std::filesystem::path& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Fail(ErrnoError(ec.value(), "creating directory " + path.string()));
  }
  if (mode != 0755) {
    ::chmod(path.c_str(), mode);
  }
  return Ok();
}

Status RemoveAll(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec.value() != ENOENT) {
    return Fail(ErrnoError(ec.value(), "removing " + path.string()));
  }
  return Ok();
}

bool PathExists(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace capstan

#include "cni-plugins/host-local/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

namespace capstan::cni::host_local {

namespace {

constexpr const char* kLastPrefix = "last_reserved_ip.";
constexpr const char* kLineBreak = "\r\n";

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Result<std::string> ReadAt(int dir_fd, const std::string& name) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    return FailErrno("reading {}", name);
  }
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("reading {}", name);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 4096) {
      break;  // not one of ours
    }
  }
  return out;
}

Status WriteAt(int dir_fd, const std::string& name, std::string_view data, int flags) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | flags, 0600));
  if (!fd) {
    return FailErrno("writing {}", name);
  }
  if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    int saved = errno;
    if (flags & O_EXCL) {
      ::unlinkat(dir_fd, name.c_str(), 0);
    }
    errno = saved;
    return FailErrno("writing {}", name);
  }
  return Ok();
}

// Rewrites the round-robin cursor in place: truncating a file on every ADD costs a journal
// transaction on ext4 (about half a millisecond), so the file is only shortened when the new
// address is shorter than the old one.
Status WriteCursor(int dir_fd, const std::string& name, const std::string& data) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    return FailErrno("writing {}", name);
  }
  if (::pwrite(fd.get(), data.data(), data.size(), 0) != static_cast<ssize_t>(data.size())) {
    return FailErrno("writing {}", name);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && st.st_size > static_cast<off_t>(data.size()) &&
      ::ftruncate(fd.get(), static_cast<off_t>(data.size())) != 0) {
    return FailErrno("truncating {}", name);
  }
  return Ok();
}

}  // namespace

Store::Lock::~Lock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
  }
}

Result<Store> Store::Open(const std::string& data_dir, const std::string& network) {
  std::string dir = data_dir + "/" + network;
  CAPSTAN_TRY(MkdirAll(dir, 0755));
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) {
    return FailErrno("opening {}", dir);
  }
  UniqueFd lock_fd(::openat(dir_fd.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock_fd) {
    return FailErrno("opening {}/lock", dir);
  }
  return Store(std::move(dir), std::move(dir_fd), std::move(lock_fd));
}

Result<Store::Lock> Store::Acquire() {
  while (::flock(lock_fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return FailErrno("locking {}/lock", dir_);
    }
  }
  return Lock(lock_fd_.get());
}

Result<bool> Store::Reserve(const std::string& id, const std::string& ifname, const IpAddr& ip,
                            int range_id) {
  auto st = WriteAt(dir_fd_.get(), ip.ToString(), Trim(id) + kLineBreak + ifname, O_CREAT | O_EXCL);
  if (!st) {
    if (st.error().err_no() == EEXIST) {
      return false;
    }
    return std::unexpected(st.error());
  }
  CAPSTAN_TRY(WriteCursor(dir_fd_.get(), kLastPrefix + std::to_string(range_id), ip.ToString()));
  return true;
}

std::optional<IpAddr> Store::LastReserved(int range_id) {
  auto text = ReadAt(dir_fd_.get(), kLastPrefix + std::to_string(range_id));
  if (!text) {
    return std::nullopt;
  }
  return IpAddr::Parse(Trim(*text));
}

Result<std::vector<Allocation>> Store::List() {
  int fd = ::dup(dir_fd_.get());
  if (fd < 0) {
    return FailErrno("listing {}", dir_);
  }
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return FailErrno("listing {}", dir_);
  }
  ::rewinddir(d);
  std::vector<Allocation> out;
  while (dirent* e = ::readdir(d)) {
    // Only files named after an address are allocations (not lock, last_reserved_ip.N).
    auto ip = IpAddr::Parse(e->d_name);
    if (!ip || ip->ToString() != e->d_name) {
      continue;
    }
    auto text = ReadAt(dir_fd_.get(), e->d_name);
    if (!text) {
      continue;  // released meanwhile
    }
    std::string content = Trim(*text);
    Allocation a{*ip, content, ""};
    if (size_t br = content.find(kLineBreak); br != std::string::npos) {
      a.container_id = Trim(content.substr(0, br));
      a.ifname = Trim(content.substr(br + 2));
    }
    out.push_back(std::move(a));
  }
  ::closedir(d);
  return out;
}

Status Store::ReleaseById(const std::string& id, const std::string& ifname) {
  CAPSTAN_ASSIGN_OR_RETURN(auto all, List());
  bool found = false;
  for (const auto& a : all) {
    if (a.container_id == Trim(id) && a.ifname == ifname) {
      CAPSTAN_TRY(Release(a.ip));
      found = true;
    }
  }
  if (!found) {
    // Files of old versions hold the container id alone.
    for (const auto& a : all) {
      if (a.container_id == Trim(id) && a.ifname.empty()) {
        CAPSTAN_TRY(Release(a.ip));
      }
    }
  }
  return Ok();
}

Status Store::Release(const IpAddr& ip) {
  if (::unlinkat(dir_fd_.get(), ip.ToString().c_str(), 0) != 0 && errno != ENOENT) {
    return FailErrno("releasing {}", ip.ToString());
  }
  return Ok();
}

}  // namespace capstan::cni::host_local

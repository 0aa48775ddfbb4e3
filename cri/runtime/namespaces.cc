#include "cri/runtime/namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/file.h"
#include "common/unique_fd.h"

namespace capstan::cri::runtime {

Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool own_net,
                       bool own_ipc) {
  for (const auto& [name, value] : sysctls) {
    if (name.empty() || name.find("..") != std::string::npos ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_./-") != std::string::npos) {
      return Fail(Code::kInvalidArgument, "sysctl {:?} is not a valid name", name);
    }
    if (value.find('\n') != std::string::npos) {
      return Fail(Code::kInvalidArgument, "sysctl {} has a newline in its value", name);
    }
    auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
    bool ipc_kind = starts("kernel.shm") || starts("kernel.msg") || name == "kernel.sem" ||
                    starts("fs.mqueue.");
    bool net_kind = starts("net.");
    if (ipc_kind && !own_ipc) {
      return Fail(Code::kInvalidArgument, "sysctl {} needs a pod IPC namespace (hostIPC is set)",
                  name);
    }
    if (net_kind && !own_net) {
      return Fail(Code::kInvalidArgument,
                  "sysctl {} needs a pod network namespace (hostNetwork is set)", name);
    }
    if (!ipc_kind && !net_kind) {
      return Fail(Code::kInvalidArgument, "sysctl {} is not namespaced: not allowed in a pod",
                  name);
    }
  }
  return Ok();
}

namespace {

// Child side: only syscalls on memory prepared before fork (the parent is multi-threaded).
[[noreturn]] void PinChild(int flags, const char* hostname,
                           const std::vector<std::pair<std::string, std::string>>& sysctl_files,
                           const std::vector<std::pair<std::string, std::string>>& binds,
                           int err_fd) {
  auto fail = [err_fd](const char* what) {
    int e = errno;
    (void)!::write(err_fd, what, std::strlen(what));
    (void)!::write(err_fd, ": ", 2);
    const char* s = ::strerror(e);
    (void)!::write(err_fd, s, std::strlen(s));
    _exit(1);
  };
  if (::unshare(flags) != 0) {
    fail("unshare");
  }
  if ((flags & CLONE_NEWUTS) && hostname[0] != '\0' &&
      ::sethostname(hostname, std::strlen(hostname)) != 0) {
    fail("sethostname");
  }
  if (flags & CLONE_NEWNET) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
      fail("reading loopback flags");
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
      fail("bringing loopback up");
    }
    ::close(s);
  }
  for (const auto& [file, value] : sysctl_files) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, value.data(), value.size()) < 0) {
      fail(file.c_str());
    }
    ::close(fd);
  }
  for (const auto& [src, dst] : binds) {
    if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      fail(dst.c_str());
    }
  }
  _exit(0);
}

}  // namespace

Result<PinnedNamespaces> PinNamespaces(const PinRequest& req) {
  PinnedNamespaces out;
  int flags = 0;
  std::vector<std::pair<std::string, std::string>> binds;
  auto add = [&](bool want, int flag, const char* kind, std::string& path) -> Status {
    if (!want) {
      return Ok();
    }
    flags |= flag;
    path = req.dir + "/" + kind;
    // The bind mount needs an existing file to cover.
    CAPSTAN_TRY(WriteFileAtomic(path, "", 0400));
    binds.emplace_back(std::string("/proc/self/ns/") + kind, path);
    return Ok();
  };
  CAPSTAN_TRY(MkdirAll(req.dir, 0700));
  CAPSTAN_TRY(add(req.net, CLONE_NEWNET, "net", out.net));
  CAPSTAN_TRY(add(req.ipc, CLONE_NEWIPC, "ipc", out.ipc));
  CAPSTAN_TRY(add(req.uts, CLONE_NEWUTS, "uts", out.uts));
  if (flags == 0) {
    return out;
  }
  std::vector<std::pair<std::string, std::string>> sysctl_files;
  for (const auto& [name, value] : req.sysctls) {
    std::string file = "/proc/sys/" + name;
    for (size_t i = 10; i < file.size(); ++i) {
      if (file[i] == '.') {
        file[i] = '/';
      }
    }
    sysctl_files.emplace_back(file, value);
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return FailErrno("pipe");
  }
  UniqueFd err_r(p[0]), err_w(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) {
    return FailErrno("fork");
  }
  if (pid == 0) {
    PinChild(flags, req.hostname.c_str(), sysctl_files, binds, err_w.get());
  }
  err_w.Reset();
  std::string error;
  char buf[512];
  ssize_t n;
  while ((n = ::read(err_r.get(), buf, sizeof(buf))) > 0) {
    error.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!error.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    for (const auto& [src, dst] : binds) {
      (void)UnpinNamespace(dst);
    }
    return Fail(Code::kInternal, "creating pod namespaces: {}",
                error.empty() ? "child failed" : error);
  }
  return out;
}

Status UnpinNamespace(const std::string& path) {
  if (path.empty()) {
    return Ok();
  }
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return FailErrno("unmounting namespace {}", path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return FailErrno("removing {}", path);
  }
  return Ok();
}

}  // namespace capstan::cri::runtime

#include "cri/runtime/exit_watcher.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "common/file.h"

namespace capstan::cri::runtime {

uint64_t ProcessStartTime(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return 0;
  }
  // The command name (field 2) may hold spaces: count fields after its closing paren.
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return 0;
  }
  const char* p = stat->c_str() + paren + 2;
  for (int field = 3; field < 22 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) {
      return 0;
    }
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

ExitWatcher::ExitWatcher(Callback on_exit)
    : on_exit_(std::move(on_exit)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { Loop(); });
}

ExitWatcher::~ExitWatcher() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
  thread_.join();
}

Status ExitWatcher::Watch(const std::string& id, pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    if (errno == ESRCH) {
      on_exit_(id);
      return Ok();
    }
    return FailErrno("pidfd_open {}", pid);
  }
  UniqueFd pidfd(static_cast<int>(fd));
  ::fcntl(pidfd.get(), F_SETFD, FD_CLOEXEC);
  std::lock_guard lock(mu_);
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.fd = pidfd.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd.get(), &ev) != 0) {
    return FailErrno("watching pid {}", pid);
  }
  int key = pidfd.get();
  watched_[key] = {id, std::move(pidfd)};
  return Ok();
}

void ExitWatcher::Loop() {
  for (;;) {
    struct epoll_event events[16];
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_.get()) {
        return;
      }
      std::string id;
      {
        std::lock_guard lock(mu_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) {
          continue;
        }
        id = it->second.first;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        // capstan-cri is the monitors' subreaper: reap the zombie (ECHILD when the monitor
        // belongs to an earlier capstan-cri, whose init reaps it).
        siginfo_t info{};
        ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
        watched_.erase(it);
      }
      on_exit_(id);
    }
  }
}

}  // namespace capstan::cri::runtime

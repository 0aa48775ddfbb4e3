#include "common/process.h"

#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/unique_fd.h"

namespace capstan {

void CloseFdsFrom(int first) {
  if (::syscall(SYS_close_range, first, ~0U, 0) == 0) {
    return;
  }
  for (int fd = first; fd < 65536; ++fd) {
    ::close(fd);
  }
}

namespace {

struct Pipe {
  UniqueFd r, w;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return FailErrno("pipe");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

Result<CommandOutput> RunCommand(const SpawnOptions& opts, std::chrono::milliseconds timeout,
                                 size_t max_output) {
  if (opts.argv.empty()) {
    return Fail(Code::kInvalidArgument, "RunCommand: empty argv");
  }
  CAPSTAN_ASSIGN_OR_RETURN(Pipe in, MakePipe());
  CAPSTAN_ASSIGN_OR_RETURN(Pipe out, MakePipe());
  CAPSTAN_ASSIGN_OR_RETURN(Pipe err, MakePipe());

  // Everything the child needs is prepared before fork: the child only calls
  // async-signal-safe functions.
  std::vector<char*> argv;
  for (const auto& a : opts.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (opts.env) {
    for (const auto& e : *opts.env) {
      envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    return FailErrno("fork for {}", opts.argv[0]);
  }
  if (pid == 0) {
    ::dup2(in.r.get(), 0);
    ::dup2(out.w.get(), 1);
    ::dup2(err.w.get(), 2);
    CloseFdsFrom(3);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (opts.cwd && ::chdir(opts.cwd->c_str()) != 0) {
      _exit(127);
    }
    if (opts.env) {
      ::execve(argv[0], argv.data(), envp.data());
    } else {
      ::execv(argv[0], argv.data());
    }
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    _exit(127);
  }
  in.r.Reset();
  out.w.Reset();
  err.w.Reset();

  CommandOutput result;
  std::string_view pending_in = opts.stdin_data;
  if (pending_in.empty()) {
    in.w.Reset();
  } else {
    ::fcntl(in.w.get(), F_SETFL, O_NONBLOCK);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  // When the child exits, output still in the pipes is read; processes it left behind that
  // hold the pipes open do not keep us waiting past a short drain.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  bool exited = false;
  while (out.r || err.r || in.w) {
    struct pollfd pfds[4];
    int n = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1, idx_pid = -1;
    if (pidfd && !exited) {
      idx_pid = n;
      pfds[n++] = {pidfd.get(), POLLIN, 0};
    }
    if (out.r) {
      idx_out = n;
      pfds[n++] = {out.r.get(), POLLIN, 0};
    }
    if (err.r) {
      idx_err = n;
      pfds[n++] = {err.r.get(), POLLIN, 0};
    }
    if (in.w) {
      idx_in = n;
      pfds[n++] = {in.w.get(), POLLOUT, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int rc = ::poll(pfds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (rc < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (rc == 0 && exited) {
      break;  // drained
    }
    if (idx_pid >= 0 && (pfds[idx_pid].revents & POLLIN)) {
      exited = true;
      auto drain_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      deadline = std::min(deadline, drain_end);
      in.w.Reset();
    }
    auto drain = [&](int idx, UniqueFd& fd, std::string& sink) {
      if (idx < 0 || !(pfds[idx].revents & (POLLIN | POLLHUP | POLLERR))) {
        return;
      }
      char buf[16384];
      ssize_t r = ::read(fd.get(), buf, sizeof(buf));
      if (r <= 0) {
        fd.Reset();
        return;
      }
      size_t room = max_output > sink.size() ? max_output - sink.size() : 0;
      sink.append(buf, std::min(room, static_cast<size_t>(r)));
    };
    drain(idx_out, out.r, result.out);
    drain(idx_err, err.r, result.err);
    if (idx_in >= 0 && (pfds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in.w.get(), pending_in.data(), pending_in.size());
      if (w < 0 && errno != EAGAIN) {
        in.w.Reset();
      } else if (w > 0) {
        pending_in.remove_prefix(static_cast<size_t>(w));
        if (pending_in.empty()) {
          in.w.Reset();
        }
      }
    }
  }
  if (timed_out && !exited) {
    ::kill(pid, SIGKILL);
  } else {
    timed_out = false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Fail(Code::kDeadlineExceeded, "{} timed out after {}ms", opts.argv[0], timeout.count());
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::string HostName() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

std::string ExecutableDir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

}  // namespace capstan

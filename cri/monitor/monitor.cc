#include "cri/monitor/monitor.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/file.h"
#include "common/process.h"
#include "common/time.h"
#include "common/unique_fd.h"
#include "cri/monitor/attach_hub.h"
#include "cri/monitor/exit_status.h"
#include "cri/monitor/log_writer.h"
#include "cri/monitor/receive_fd.h"
#include "cri/oci/init.h"
#include "cri/oci/spec.h"

namespace capstan::cri::monitor {
namespace {

uint64_t ReadOomKills(const std::string& path) {
  if (path.empty()) {
    return 0;
  }
  auto text = ReadFile(path);
  if (!text) {
    return 0;
  }
  size_t pos = text->find("oom_kill ");
  return pos == std::string::npos ? 0 : std::strtoull(text->c_str() + pos + 9, nullptr, 10);
}

void Sync(int fd, const std::string& line) {
  if (fd >= 0) {
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
  }
}

struct Stdio {
  // What the container gets as 0, 1, 2, and the ends the monitor keeps.
  UniqueFd child_in, child_out, child_err;
  UniqueFd stdin_w, out_r, err_r;  // with a tty, out_r is the pty master
  // With a tty: the socket the container's init sends its pty master over.
  UniqueFd console_parent, console_child;
};

Result<Stdio> MakeStdio(bool tty, bool stdin_open) {
  Stdio s;
  if (tty) {
    // The pty is created inside the container (its own devpts); until then the init's
    // stdio is /dev/null.
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
      return FailErrno("socketpair");
    }
    s.console_parent.Reset(sp[0]);
    s.console_child.Reset(sp[1]);
    s.child_in.Reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    s.child_out.Reset(::dup(s.child_in.get()));
    s.child_err.Reset(::dup(s.child_in.get()));
    return s;
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return FailErrno("pipe");
  }
  s.out_r.Reset(p[0]);
  s.child_out.Reset(p[1]);
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return FailErrno("pipe");
  }
  s.err_r.Reset(p[0]);
  s.child_err.Reset(p[1]);
  if (stdin_open) {
    if (::pipe2(p, O_CLOEXEC) != 0) {
      return FailErrno("pipe");
    }
    s.child_in.Reset(p[0]);
    s.stdin_w.Reset(p[1]);
  } else {
    s.child_in.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  return s;
}

[[noreturn]] void ChildMain(const MonitorOptions& opts, Stdio& io, int error_w) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::dup2(io.child_in.get(), 0);
  ::dup2(io.child_out.get(), 1);
  ::dup2(io.child_err.get(), 2);
  ::dup2(error_w, 3);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  int console = -1;
  if (io.console_child) {
    ::dup2(io.console_child.get(), 4);
    ::fcntl(4, F_SETFD, FD_CLOEXEC);
    console = 4;
  }
  CloseFdsFrom(console >= 0 ? 5 : 4);
  auto spec = oci::LoadSpec(opts.spec_path);
  if (!spec) {
    const std::string& m = spec.error().message();
    (void)!::write(3, m.data(), m.size());
    _exit(127);
  }
  oci::RunContainerInit(*spec, 3, console);
}

void WriteExit(const MonitorOptions& opts, const ExitStatus& status) {
  (void)WriteFileAtomic(opts.exit_file, ExitStatusToJson(status));
}

}  // namespace

int RunMonitor(const MonitorOptions& opts) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&mask, sig);
  }
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

  auto io = MakeStdio(opts.tty, opts.stdin_open);
  int err_pipe[2];
  if (!io || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    Sync(opts.sync_fd, "error setting up stdio\n");
    return 1;
  }
  UniqueFd error_r(err_pipe[0]), error_w(err_pipe[1]);
  uint64_t oom_before = ReadOomKills(opts.oom_file);

  if (opts.pid_mode == "container" && ::unshare(CLONE_NEWPID) != 0) {
    Sync(opts.sync_fd, "error creating pid namespace\n");
    return 1;
  }
  if (opts.pid_mode == "target") {
    UniqueFd ns(::open(opts.pidns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWPID) != 0) {
      Sync(opts.sync_fd, "error joining pid namespace " + opts.pidns_path + "\n");
      return 1;
    }
  }
  // Listening before the container runs: an Attach right after StartContainer finds it.
  AttachHub attach;
  if (!opts.attach_socket.empty()) {
    (void)attach.Listen(opts.attach_socket);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    Sync(opts.sync_fd, "error fork\n");
    return 1;
  }
  if (pid == 0) {
    ChildMain(opts, *io, error_w.get());
  }
  io->child_in.Reset();
  io->child_out.Reset();
  io->child_err.Reset();
  io->console_child.Reset();
  error_w.Reset();

  std::string start_error;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(error_r.get(), buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      break;
    }
    start_error.append(buf, static_cast<size_t>(n));
  }
  if (!start_error.empty()) {
    int status;
    ::waitpid(pid, &status, 0);
    WriteExit(opts, {128, 0, UnixNanos(WallNow()), "StartError", start_error});
    Sync(opts.sync_fd, "error " + start_error + "\n");
    return 1;
  }
  if (io->console_parent) {
    io->out_r = ReceiveFd(io->console_parent.get());
    io->console_parent.Reset();
  }
  (void)WriteFileAtomic(opts.pid_file, std::to_string(pid));
  Sync(opts.sync_fd, "ok " + std::to_string(pid) + " " + std::to_string(::getpid()) + "\n");

  LogWriter log(opts.log_path);
  log.Open();
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd) {
    if (fd >= 0) {
      struct epoll_event ev {};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
    }
  };
  watch(io->out_r.get());
  watch(io->err_r.get());
  watch(sigfd.get());
  if (attach.listen_fd() >= 0) {
    watch(attach.listen_fd());
  }
  // Where attached clients' input goes: the stdin pipe, or the pty. Non-blocking: a container
  // that does not read its input must not stall the monitor (input beyond the pipe is lost).
  // Read at each use: a pty or pipe that closed must not leave a stale fd number behind.
  auto input_fd = [&] { return opts.tty ? io->out_r.get() : io->stdin_w.get(); };
  if (io->stdin_w) {
    ::fcntl(io->stdin_w.get(), F_SETFL, ::fcntl(io->stdin_w.get(), F_GETFL) | O_NONBLOCK);
  }

  bool exited = false;
  int wait_status = 0;
  std::chrono::steady_clock::time_point drain_deadline;
  for (;;) {
    bool outputs_open = io->out_r.valid() || io->err_r.valid();
    if (exited && (!outputs_open || std::chrono::steady_clock::now() > drain_deadline)) {
      break;
    }
    struct epoll_event events[8];
    int timeout = exited ? 100 : -1;
    int ready = ::epoll_wait(ep.get(), events, 8, timeout);
    if (ready < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < ready; ++i) {
      int fd = events[i].data.fd;
      if (fd == sigfd.get()) {
        struct signalfd_siginfo si;
        while (::read(sigfd.get(), &si, sizeof(si)) == sizeof(si)) {
          if (si.ssi_signo == SIGUSR1) {
            log.Open();  // the kubelet rotated the log
          }
        }
        int st;
        pid_t w;
        while ((w = ::waitpid(-1, &st, WNOHANG)) > 0) {
          if (w == pid) {
            exited = true;
            wait_status = st;
            // Output still buffered in the pipes is read; a leftover process holding them
            // (host PID namespace) does not keep the monitor alive for long.
            drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
          }
        }
        continue;
      }
      if (fd == attach.listen_fd()) {
        watch(attach.Accept());
        continue;
      }
      if (attach.IsClient(fd)) {
        auto in = attach.Read(fd);
        using Kind = AttachHub::Input::Kind;
        if (in.kind == Kind::kStdin && opts.stdin_open && input_fd() >= 0) {
          (void)!::write(input_fd(), in.data.data(), in.data.size());
        } else if (in.kind == Kind::kStdinClose && opts.stdin_once && !opts.tty) {
          io->stdin_w.Reset();  // the container reads EOF
        } else if (in.kind == Kind::kResize && opts.tty && io->out_r) {
          struct winsize ws {};
          ws.ws_col = in.width;
          ws.ws_row = in.height;
          ::ioctl(io->out_r.get(), TIOCSWINSZ, &ws);
        }
        continue;  // a client that left was dropped (closing its fd unwatched it)
      }
      UniqueFd& src = fd == io->out_r.get() ? io->out_r : io->err_r;
      Stream stream = fd == io->err_r.get() ? Stream::kStderr : Stream::kStdout;
      n = ::read(fd, buf, sizeof(buf));
      if (n > 0) {
        log.Write(stream, std::string_view(buf, static_cast<size_t>(n)));
        attach.Broadcast(stream == Stream::kStderr ? StdioMessage::kStderr : StdioMessage::kStdout,
                         std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr);
        src.Reset();
      }
    }
  }
  log.Flush();
  attach.Close();  // attached clients see the end of the stream

  ExitStatus status;
  status.finished_at_ns = UnixNanos(WallNow());
  if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
    status.exit_code = 128 + status.signal;
  } else {
    status.exit_code = WEXITSTATUS(wait_status);
  }
  if (ReadOomKills(opts.oom_file) > oom_before) {
    status.reason = "OOMKilled";
  } else {
    status.reason = status.exit_code == 0 ? "Completed" : "Error";
  }
  WriteExit(opts, status);
  return 0;
}

}  // namespace capstan::cri::monitor

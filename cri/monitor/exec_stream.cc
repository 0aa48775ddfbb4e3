#include "cri/monitor/exec_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "common/process.h"
#include "common/unique_fd.h"
#include "cri/monitor/receive_fd.h"
#include "cri/monitor/stdio_protocol.h"

namespace capstan::cri::monitor {
namespace {

bool SendPacket(int sock, const std::string& packet) {
  while (::send(sock, packet.data(), packet.size(), MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

int RunExecStream(const oci::ContainerSpec& spec, oci::ExecRequest req, int stream_fd,
                  bool stdin_open) {
  ::signal(SIGPIPE, SIG_IGN);
  // What the command gets as 0, 1, 2 and the ends this helper keeps. With a tty the pty's
  // master comes back over `console` once the command made it; until then its stdio is
  // /dev/null.
  UniqueFd child_in, child_out, child_err, in_w, out_r, err_r, console, console_child;
  int p[2];
  if (req.tty) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) return 1;
    console.Reset(p[0]);
    console_child.Reset(p[1]);
    child_in.Reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    child_out.Reset(::dup(child_in.get()));
    child_err.Reset(::dup(child_in.get()));
  } else {
    if (::pipe2(p, O_CLOEXEC) != 0) return 1;
    out_r.Reset(p[0]);
    child_out.Reset(p[1]);
    if (::pipe2(p, O_CLOEXEC) != 0) return 1;
    err_r.Reset(p[0]);
    child_err.Reset(p[1]);
    if (stdin_open) {
      if (::pipe2(p, O_CLOEXEC) != 0) return 1;
      child_in.Reset(p[0]);
      in_w.Reset(p[1]);
    } else {
      child_in.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
  }
  if (::pipe2(p, O_CLOEXEC) != 0) return 1;
  UniqueFd error_r(p[0]), error_w(p[1]);

  pid_t child = ::fork();
  if (child < 0) {
    SendPacket(stream_fd, ExitPacket(127, "fork: " + std::string(std::strerror(errno))));
    return 1;
  }
  if (child == 0) {
    ::dup2(child_in.get(), 0);
    ::dup2(child_out.get(), 1);
    ::dup2(child_err.get(), 2);
    ::dup2(error_w.get(), 3);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    if (console_child) {
      ::dup2(console_child.get(), 4);
      ::fcntl(4, F_SETFD, FD_CLOEXEC);
      req.console_fd = 4;
    }
    CloseFdsFrom(console_child ? 5 : 4);
    ::signal(SIGPIPE, SIG_DFL);
    oci::RunExecInit(spec, req, 3);
  }
  child_in.Reset();
  child_out.Reset();
  child_err.Reset();
  console_child.Reset();
  error_w.Reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));

  if (console) {
    // Until the command sends its pty (or its starter fails and closes the socket).
    out_r = ReceiveFd(console.get());
    console.Reset();
    if (out_r) {
      in_w.Reset(::dup(out_r.get()));
    }
  }
  if (in_w) SetNonBlocking(in_w.get());

  std::string stdin_pending;
  bool stdin_close_requested = false, exited = false, client_gone = false;
  int wait_status = 0;
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  // A packet is a type byte and up to kMaxStdioPayload bytes: a smaller buffer would cut
  // SEQPACKET messages short. Output is read in payload-sized pieces.
  char buf[kMaxStdioPayload + 16];
  for (;;) {
    if (exited && ((!out_r && !err_r) || std::chrono::steady_clock::now() > drain_deadline)) {
      break;
    }
    struct pollfd fds[5];
    int n = 0;
    // Input waiting for the command is bounded: past it we stop reading, and the client's
    // sends back up to it.
    fds[n++] = {stream_fd, static_cast<short>(stdin_pending.size() < (1 << 20) ? POLLIN : 0), 0};
    fds[n++] = {exited ? -1 : pidfd.get(), POLLIN, 0};
    fds[n++] = {out_r.get(), POLLIN, 0};
    fds[n++] = {err_r.get(), POLLIN, 0};
    fds[n++] = {!stdin_pending.empty() ? in_w.get() : -1, POLLOUT, 0};
    int ready = ::poll(fds, n, exited ? 100 : -1);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = ::recv(stream_fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        client_gone = true;
        break;
      }
      if (got > 0) {
        std::string_view msg(buf, static_cast<size_t>(got));
        auto type = static_cast<StdioMessage>(msg[0]);
        if (type == StdioMessage::kStdin && in_w) {
          stdin_pending.append(msg.substr(1));
        } else if (type == StdioMessage::kStdinClose) {
          stdin_close_requested = true;
        } else if (type == StdioMessage::kResize && msg.size() >= 5 && out_r && req.tty) {
          struct winsize ws {};
          ws.ws_col = StdioU16(msg, 1);
          ws.ws_row = StdioU16(msg, 3);
          ::ioctl(out_r.get(), TIOCSWINSZ, &ws);
        }
      }
    }
    if (fds[4].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t w = ::write(in_w.get(), stdin_pending.data(), stdin_pending.size());
      if (w > 0) {
        stdin_pending.erase(0, static_cast<size_t>(w));
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        stdin_pending.clear();  // the command closed its stdin
        if (!req.tty) in_w.Reset();
      }
    }
    // Stdin ends once what came before the close is written; a terminal has no end of
    // input other than the one its user types.
    if (stdin_close_requested && stdin_pending.empty() && !req.tty) {
      in_w.Reset();
    }
    for (int i : {2, 3}) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      UniqueFd& src = i == 2 ? out_r : err_r;
      ssize_t got = ::read(src.get(), buf, kMaxStdioPayload);
      if (got > 0) {
        auto type = i == 2 ? StdioMessage::kStdout : StdioMessage::kStderr;
        if (!SendPacket(stream_fd, StdioPacket(type, std::string_view(buf, got)))) {
          client_gone = true;
        }
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EOF, or EIO from a pty master whose last slave closed.
        if (i == 2 && req.tty) in_w.Reset();
        src.Reset();
      }
    }
    if (client_gone) break;
    if (fds[1].revents & POLLIN) {
      while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
      // Output still in the pipes is sent; a background process holding them open does not
      // keep the session for long.
      drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
  }
  if (!exited) {
    // The client went away: the starter's SIGTERM kills the command's process group.
    ::kill(child, SIGTERM);
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    return 0;
  }
  std::string error;
  ssize_t got;
  while ((got = ::read(error_r.get(), buf, sizeof(buf))) > 0) {
    error.append(buf, static_cast<size_t>(got));
  }
  int code = WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
  if (!client_gone) SendPacket(stream_fd, ExitPacket(code, error));
  return 0;
}

}  // namespace capstan::cri::monitor

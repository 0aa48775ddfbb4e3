// Exec, Attach and PortForward: the RPCs check the request and answer with a URL on the
// streaming server (cri/streaming); when the client connects there, the server calls back
// here to start the exec helper, join the container's attach socket or dial the pod's port.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "common/process.h"
#include "cri/runtime/runtime.h"
#include "cri/streaming/server.h"

namespace capstan::cri::runtime {

namespace {

Result<pid_t> SpawnWithFd3(const std::vector<std::string>& args, int fd3) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return FailErrno("fork");
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::dup2(fd3, 3);  // dup2 clears CLOEXEC on the new fd
    CloseFdsFrom(4);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// A TCP connection to 127.0.0.1:port (else [::1]:port) made inside the network namespace
// at `netns` (the host's when empty). The socket stays in the namespace it was made in, so
// only the thread that makes it switches namespaces, and then ends.
Result<UniqueFd> DialLoopback(const std::string& netns, int32_t port) {
  Result<UniqueFd> result = Fail(Code::kInternal, "not dialed");
  std::thread([&] {
    if (!netns.empty()) {
      UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
        result = FailErrno("entering network namespace {}", netns);
        return;
      }
    }
    int last_errno = 0;
    for (int family : {AF_INET, AF_INET6}) {
      UniqueFd s(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!s) continue;
      sockaddr_storage addr{};
      socklen_t len;
      if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        a->sin_family = AF_INET;
        a->sin_port = htons(static_cast<uint16_t>(port));
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(static_cast<uint16_t>(port));
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
      }
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0) {
        result = std::move(s);
        return;
      }
      if (family == AF_INET || last_errno == 0) last_errno = errno;
    }
    // Worded as Go's dialer words it, which is what users of the other runtimes see.
    std::string reason = std::strerror(last_errno);
    std::transform(reason.begin(), reason.end(), reason.begin(), ::tolower);
    result = Fail(Code::kUnavailable,
                  "failed to connect to localhost:{} inside namespace: dial tcp4 127.0.0.1:{}: "
                  "connect: {}",
                  port, port, reason);
  }).join();
  return result;
}

// The container `id` and its init's pid, if it is running.
Result<std::pair<std::shared_ptr<ContainerRecord>, pid_t>> RunningContainer(RecordStore& records,
                                                                            const std::string& id) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records.Container(id));
  std::lock_guard lock(c->mu);
  if (c->state != v1::CONTAINER_RUNNING) {
    return Fail(Code::kFailedPrecondition, "container {} is not running", c->id);
  }
  return std::make_pair(c, c->pid);
}

}  // namespace

Result<v1::ExecResponse> Runtime::Exec(const v1::ExecRequest& req) {
  if (req.cmd_size() == 0) return Fail(Code::kInvalidArgument, "exec: cmd is empty");
  if (!req.stdin() && !req.stdout() && !req.stderr()) {
    return Fail(Code::kInvalidArgument, "one of stdin, stdout, or stderr must be set");
  }
  if (req.tty() && req.stderr()) {
    return Fail(Code::kInvalidArgument, "tty and stderr cannot both be true");
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto running, RunningContainer(records_, req.container_id()));
  auto& c = running.first;
  if (streaming_ == nullptr) return Fail(Code::kUnavailable, "no streaming server");
  streaming::StreamRequest sr;
  sr.kind = streaming::StreamRequest::Kind::kExec;
  sr.container_id = c->id;
  sr.cmd.assign(req.cmd().begin(), req.cmd().end());
  sr.tty = req.tty();
  sr.stdin = req.stdin();
  sr.stdout = req.stdout();
  sr.stderr = req.stderr();
  CAPSTAN_ASSIGN_OR_RETURN(std::string url, streaming_->Url(std::move(sr)));
  v1::ExecResponse resp;
  resp.set_url(url);
  return resp;
}

Result<v1::AttachResponse> Runtime::Attach(const v1::AttachRequest& req) {
  if (!req.stdin() && !req.stdout() && !req.stderr()) {
    return Fail(Code::kInvalidArgument, "one of stdin, stdout, or stderr must be set");
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto running, RunningContainer(records_, req.container_id()));
  auto& c = running.first;
  if (streaming_ == nullptr) return Fail(Code::kUnavailable, "no streaming server");
  streaming::StreamRequest sr;
  sr.kind = streaming::StreamRequest::Kind::kAttach;
  sr.container_id = c->id;
  // The terminal is the container's: attach uses one exactly when the container has one.
  sr.tty = c->config.tty();
  sr.stdin = req.stdin() && c->config.stdin();
  sr.stdout = req.stdout();
  sr.stderr = req.stderr() && !sr.tty;
  CAPSTAN_ASSIGN_OR_RETURN(std::string url, streaming_->Url(std::move(sr)));
  v1::AttachResponse resp;
  resp.set_url(url);
  return resp;
}

Result<v1::PortForwardResponse> Runtime::PortForward(const v1::PortForwardRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto s, records_.Sandbox(req.pod_sandbox_id()));
  {
    std::lock_guard lock(s->mu);
    if (s->state != v1::SANDBOX_READY) {
      return Fail(Code::kFailedPrecondition, "pod sandbox {} is not ready", s->id);
    }
  }
  for (int32_t port : req.port()) {
    if (port <= 0 || port > 65535) {
      return Fail(Code::kInvalidArgument, "invalid port {}", port);
    }
  }
  if (streaming_ == nullptr) return Fail(Code::kUnavailable, "no streaming server");
  streaming::StreamRequest sr;
  sr.kind = streaming::StreamRequest::Kind::kPortForward;
  sr.sandbox_id = s->id;
  sr.ports.assign(req.port().begin(), req.port().end());
  CAPSTAN_ASSIGN_OR_RETURN(std::string url, streaming_->Url(std::move(sr)));
  v1::PortForwardResponse resp;
  resp.set_url(url);
  return resp;
}

Result<streaming::StdioConnection> Runtime::OpenExec(const streaming::StreamRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto running, RunningContainer(records_, req.container_id));
  auto& [c, pid] = running;
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
    return FailErrno("socketpair");
  }
  UniqueFd ours(sp[0]), theirs(sp[1]);
  std::vector<std::string> args = {config_.monitor_path,
                                   "exec",
                                   "--spec",
                                   ContainerStateDir(c->id) + "/spec.json",
                                   "--pid",
                                   std::to_string(pid),
                                   "--stream-fd",
                                   "3"};
  if (req.tty) args.push_back("--tty");
  if (req.stdin) args.push_back("--stdin");
  args.push_back("--");
  args.insert(args.end(), req.cmd.begin(), req.cmd.end());
  CAPSTAN_ASSIGN_OR_RETURN(pid_t helper, SpawnWithFd3(args, theirs.get()));
  streaming::StdioConnection conn;
  conn.socket = std::move(ours);
  conn.release = [helper] {
    // The helper ends once its socket closed (killing the command if it still ran).
    while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  return conn;
}

Result<streaming::StdioConnection> Runtime::OpenAttach(const streaming::StreamRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id));
  // Through /proc/self/fd: the state directory's path may be longer than sun_path holds.
  std::string dir = ContainerStateDir(c->id);
  UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return FailErrno("opening {}", dir);
  std::string path = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/attach";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s || ::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return FailErrno("attaching to container {} (its monitor has no attach socket)", c->id);
  }
  streaming::StdioConnection conn;
  conn.socket = std::move(s);
  return conn;
}

Result<UniqueFd> Runtime::DialPort(const std::string& sandbox_id, int32_t port) {
  CAPSTAN_ASSIGN_OR_RETURN(auto s, records_.Sandbox(sandbox_id));
  std::string netns;
  {
    std::lock_guard lock(s->mu);
    netns = s->netns;
  }
  return DialLoopback(netns, port);
}

}  // namespace capstan::cri::runtime

// capstan-monitor: the per-container process (see monitor.h), and the helper capstan-cri
// uses to run a command inside a running container (exec mode).
//
//   capstan-monitor run --id ID --spec FILE --log-path FILE --exit-file FILE --pid-file FILE
//       [--oom-file FILE] [--sync-fd N] [--tty] [--stdin] [--stdin-once] [--attach-socket PATH]
//       [--pid-mode container|node|target] [--pidns PATH]
//   capstan-monitor exec --spec FILE --pid PID --error-file FILE [--tty] [--timeout S] -- ARGS...
//   capstan-monitor exec --spec FILE --pid PID --stream-fd N [--tty] [--stdin] -- ARGS...
//       (streaming: stdio relayed over the stdio-protocol socket N, see exec_stream.h)
//   capstan-monitor pod-init --pid-file FILE      (a pod's shared PID namespace, pod_init.h)

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cri/monitor/exec_stream.h"
#include "cri/monitor/monitor.h"
#include "cri/monitor/pod_init.h"
#include "cri/monitor/stdio_protocol.h"
#include "cri/oci/init.h"

namespace {

using capstan::cri::monitor::MonitorOptions;

int Usage() {
  std::fputs("usage: capstan-monitor run|exec [flags] (see cri/monitor/main.cc)\n", stderr);
  return 2;
}

int RunMode(int argc, char** argv) {
  MonitorOptions o;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--id")
      o.id = next();
    else if (a == "--spec")
      o.spec_path = next();
    else if (a == "--log-path")
      o.log_path = next();
    else if (a == "--exit-file")
      o.exit_file = next();
    else if (a == "--pid-file")
      o.pid_file = next();
    else if (a == "--oom-file")
      o.oom_file = next();
    else if (a == "--sync-fd")
      o.sync_fd = std::atoi(next().c_str());
    else if (a == "--tty")
      o.tty = true;
    else if (a == "--stdin")
      o.stdin_open = true;
    else if (a == "--stdin-once")
      o.stdin_once = true;
    else if (a == "--attach-socket")
      o.attach_socket = next();
    else if (a == "--pid-mode")
      o.pid_mode = next();
    else if (a == "--pidns")
      o.pidns_path = next();
    else
      return Usage();
  }
  if (o.spec_path.empty() || o.exit_file.empty() || o.pid_file.empty()) {
    return Usage();
  }
  // Detach: capstan-cri reaps this first process at once; the monitor lives on in its own
  // session, reparented away from capstan-cri so that runtime restarts do not touch it.
  pid_t pid = ::fork();
  if (pid < 0) {
    return 1;
  }
  if (pid > 0) {
    _exit(0);
  }
  ::setsid();
  int devnull = ::open("/dev/null", O_RDWR);
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  ::dup2(devnull, 2);
  if (devnull > 2) {
    ::close(devnull);
  }
  return capstan::cri::monitor::RunMonitor(o);
}

int ExecMode(int argc, char** argv) {
  std::string spec_path, error_file;
  int stream_fd = -1;
  bool stdin_open = false;
  capstan::cri::oci::ExecRequest req;
  int i = 2;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--spec")
      spec_path = next();
    else if (a == "--pid")
      req.target_pid = std::atoi(next().c_str());
    else if (a == "--error-file")
      error_file = next();
    else if (a == "--stream-fd")
      stream_fd = std::atoi(next().c_str());
    else if (a == "--stdin")
      stdin_open = true;
    else if (a == "--tty")
      req.tty = true;
    else if (a == "--timeout")
      req.timeout_seconds = std::atoi(next().c_str());
    else
      return Usage();
  }
  for (; i < argc; ++i) {
    req.args.emplace_back(argv[i]);
  }
  if (stream_fd >= 0) {
    ::fcntl(stream_fd, F_SETFD, FD_CLOEXEC);
    if (req.target_pid <= 0 || req.args.empty()) {
      return Usage();
    }
    auto spec = capstan::cri::oci::LoadSpec(spec_path);
    if (!spec) {
      std::string packet = capstan::cri::monitor::ExitPacket(127, spec.error().message());
      (void)!::send(stream_fd, packet.data(), packet.size(), MSG_NOSIGNAL);
      return 1;
    }
    return capstan::cri::monitor::RunExecStream(*spec, req, stream_fd, stdin_open);
  }
  int error_fd = ::open(error_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (error_fd < 0 || req.target_pid <= 0 || req.args.empty()) {
    return Usage();
  }
  auto spec = capstan::cri::oci::LoadSpec(spec_path);
  if (!spec) {
    const std::string& m = spec.error().message();
    (void)!::write(error_fd, m.data(), m.size());
    return 127;
  }
  capstan::cri::oci::RunExecInit(*spec, req, error_fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return Usage();
  }
  if (std::strcmp(argv[1], "run") == 0) {
    return RunMode(argc, argv);
  }
  if (std::strcmp(argv[1], "exec") == 0) {
    return ExecMode(argc, argv);
  }
  if (std::strcmp(argv[1], "pod-init") == 0 && argc == 4 &&
      std::strcmp(argv[2], "--pid-file") == 0) {
    return capstan::cri::monitor::RunPodInit(argv[3]);
  }
  return Usage();
}

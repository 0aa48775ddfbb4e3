// StartContainer: hand the created container to a new capstan-monitor.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "common/log.h"
#include "common/process.h"
#include "common/time.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {

const log::Logger kLog("cri.container");

// What the monitor reports on its sync pipe.
struct MonitorStart {
  pid_t container_pid = 0;
  pid_t monitor_pid = 0;
  std::string error;
};

// Spawns `argv` with `sync_w` as fd 3 and reaps the first process (the monitor forks away
// from it); returns what the monitor wrote on the pipe.
Result<MonitorStart> SpawnMonitor(const std::vector<std::string>& args) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return FailErrno("pipe");
  }
  UniqueFd sync_r(p[0]), sync_w(p[1]);
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    return FailErrno("fork");
  }
  if (pid == 0) {
    ::dup2(sync_w.get(), 3);  // dup2 clears CLOEXEC on the new fd
    CloseFdsFrom(4);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  sync_w.Reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(sync_r.get(), buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      break;
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  MonitorStart out;
  if (reply.rfind("ok ", 0) == 0) {
    if (std::sscanf(reply.c_str(), "ok %d %d", &out.container_pid, &out.monitor_pid) != 2) {
      return Fail(Code::kInternal, "monitor sent a malformed reply {:?}", reply);
    }
    return out;
  }
  if (reply.rfind("error ", 0) == 0) {
    out.error = reply.substr(6);
    while (!out.error.empty() && out.error.back() == '\n') {
      out.error.pop_back();
    }
    return out;
  }
  return Fail(Code::kInternal, "capstan-monitor {} failed to start (status {})", args[0], status);
}

}  // namespace

Result<v1::StartContainerResponse> Runtime::StartContainer(const v1::StartContainerRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lock(c->mu);
    if (c->state != v1::CONTAINER_CREATED) {
      return Fail(Code::kFailedPrecondition, "container {} is {}, not created", c->id,
                  v1::ContainerState_Name(c->state));
    }
  }
  std::string dir = ContainerStateDir(c->id);
  if (!c->log_path.empty()) {
    CAPSTAN_TRY(MkdirAll(std::filesystem::path(c->log_path).parent_path(), 0755));
  }
  std::string oom_file;
  for (const auto& d : deps_.cgroups->Dirs(c->cgroup_path)) {
    for (const char* f : {"/memory.oom_control", "/memory.events"}) {
      if (oom_file.empty() && PathExists(d + f)) {
        oom_file = d + f;
      }
    }
  }
  std::vector<std::string> args = {config_.monitor_path,
                                   "run",
                                   "--id",
                                   c->id,
                                   "--spec",
                                   dir + "/spec.json",
                                   "--log-path",
                                   c->log_path.empty() ? "/dev/null" : c->log_path,
                                   "--exit-file",
                                   dir + "/exit.json",
                                   "--pid-file",
                                   dir + "/pid",
                                   "--attach-socket",
                                   dir + "/attach",
                                   "--sync-fd",
                                   "3"};
  if (!oom_file.empty()) {
    args.insert(args.end(), {"--oom-file", oom_file});
  }
  if (c->config.tty()) {
    args.push_back("--tty");
  }
  if (c->config.stdin()) {
    args.push_back("--stdin");
  }
  if (c->config.stdin_once()) {
    args.push_back("--stdin-once");
  }
  auto spec = oci::LoadSpec(dir + "/spec.json");
  if (!spec) {
    return Fail(spec.error());
  }
  switch (spec->namespaces.pid) {
    case oci::NamespaceSpec::Pid::kNode: args.insert(args.end(), {"--pid-mode", "node"}); break;
    case oci::NamespaceSpec::Pid::kTarget:
      args.insert(args.end(), {"--pid-mode", "target", "--pidns", spec->namespaces.pid_path});
      break;
    default: break;
  }
  CAPSTAN_ASSIGN_OR_RETURN(MonitorStart started, SpawnMonitor(args));
  std::unique_lock lock(c->mu);
  if (!started.error.empty()) {
    c->state = v1::CONTAINER_EXITED;
    c->exit_code = 128;
    c->reason = "StartError";
    c->message = started.error;
    c->finished_at = UnixNanos(WallNow());
    (void)records_.Persist(*c);
    lock.unlock();
    EmitEvent(c->id, c->sandbox_id, v1::CONTAINER_STOPPED_EVENT);
    return Fail(Code::kInternal, "starting container {}: {}", c->id, started.error);
  }
  c->state = v1::CONTAINER_RUNNING;
  c->started_at = UnixNanos(WallNow());
  c->pid = started.container_pid;
  c->monitor_pid = started.monitor_pid;
  c->monitor_start_time = ProcessStartTime(started.monitor_pid);
  CAPSTAN_TRY(records_.Persist(*c));
  lock.unlock();
  // Before the watch: an exit the watcher reports comes after the start.
  EmitEvent(c->id, c->sandbox_id, v1::CONTAINER_STARTED_EVENT);
  CAPSTAN_TRY(watcher_->Watch(c->id, started.monitor_pid));
  kLog.Info("container started", {{"id", c->id}, {"pid", started.container_pid}});
  return v1::StartContainerResponse{};
}

}  // namespace capstan::cri::runtime

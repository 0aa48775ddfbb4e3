// ExecSync: runs a command in a running container through `capstan-monitor exec`, a fresh
// single-threaded process that can join the container's mount namespace.
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "common/process.h"
#include "common/scope_exit.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

Result<v1::ExecSyncResponse> Runtime::ExecSync(const v1::ExecSyncRequest& req) {
  if (req.cmd_size() == 0) {
    return Fail(Code::kInvalidArgument, "exec: cmd is empty");
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  pid_t pid;
  {
    std::lock_guard lock(c->mu);
    if (c->state != v1::CONTAINER_RUNNING) {
      return Fail(Code::kFailedPrecondition, "container {} is not running", c->id);
    }
    pid = c->pid;
  }
  std::string dir = ContainerStateDir(c->id);
  std::string error_file = dir + "/exec-error-" + NewId().substr(0, 16);
  ScopeExit remove_error([&] { ::unlink(error_file.c_str()); });
  SpawnOptions opts;
  opts.argv = {config_.monitor_path,
               "exec",
               "--spec",
               dir + "/spec.json",
               "--pid",
               std::to_string(pid),
               "--error-file",
               error_file,
               "--timeout",
               std::to_string(std::max<int64_t>(0, req.timeout())),
               "--"};
  opts.argv.insert(opts.argv.end(), req.cmd().begin(), req.cmd().end());
  // The helper enforces the timeout (killing the command's process group); ours is a
  // backstop. A zero timeout means none; an hour bounds a runaway exec all the same.
  auto timeout =
      req.timeout() > 0 ? std::chrono::seconds(req.timeout() + 5) : std::chrono::hours(1);
  auto out = RunCommand(opts, timeout, config_.max_exec_output);
  if (!out) {
    if (out.error().code() == Code::kDeadlineExceeded) {
      return Fail(Code::kDeadlineExceeded, "command {:?} timed out after {}s", req.cmd(0),
                  req.timeout());
    }
    return Fail(out.error());
  }
  std::string error = ReadFile(error_file).value_or("");
  if (error == "timed out") {
    return Fail(Code::kDeadlineExceeded, "command {:?} timed out after {}s", req.cmd(0),
                req.timeout());
  }
  if (!error.empty()) {
    return Fail(Code::kInternal, "exec in container {}: {}", c->id, error);
  }
  v1::ExecSyncResponse resp;
  resp.set_stdout(std::move(out->out));
  resp.set_stderr(std::move(out->err));
  resp.set_exit_code(out->signal ? 128 + out->signal : out->exit_code);
  return resp;
}

}  // namespace capstan::cri::runtime

// StopContainer and RemoveContainer. Both are idempotent.
#include <signal.h>
#include <sys/mount.h>

#include <chrono>

#include "common/file.h"
#include "common/log.h"
#include "cri/runtime/runtime.h"
#include "cri/runtime/signals.h"

namespace capstan::cri::runtime {

namespace {
const log::Logger kLog("cri.container");
}

Status Runtime::StopContainerLocked(ContainerRecord& c, int64_t timeout_seconds) {
  pid_t pid;
  std::string stop_signal;
  {
    std::lock_guard lock(c.mu);
    if (c.state != v1::CONTAINER_RUNNING) {
      return Ok();
    }
    pid = c.pid;
    stop_signal = c.stop_signal;
  }
  auto exited = [&c] {
    std::lock_guard lock(c.mu);
    return c.state != v1::CONTAINER_RUNNING;
  };
  auto wait_exit = [&](std::chrono::milliseconds d) {
    std::unique_lock lock(exit_mu_);
    return exit_cv_.wait_for(lock, d, exited);
  };
  // The monitor is the container init's parent and reaps it, so the pid cannot be reused
  // while the record still says RUNNING.
  if (timeout_seconds > 0) {
    int sig = SignalNumber(stop_signal).value_or(SIGTERM);
    ::kill(pid, sig);
    if (wait_exit(std::chrono::seconds(timeout_seconds))) {
      return Ok();
    }
  }
  ::kill(pid, SIGKILL);
  // Processes outside the container's PID namespace (host PID) die with the cgroup.
  (void)deps_.cgroups->KillAll(c.cgroup_path, SIGKILL);
  if (!wait_exit(std::chrono::seconds(10))) {
    return Fail(Code::kDeadlineExceeded, "container {} did not exit after SIGKILL", c.id);
  }
  return Ok();
}

Result<v1::StopContainerResponse> Runtime::StopContainer(const v1::StopContainerRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  std::lock_guard op(c->op_mu);
  CAPSTAN_TRY(StopContainerLocked(*c, req.timeout()));
  kLog.Info("container stopped", {{"id", c->id}});
  return v1::StopContainerResponse{};
}

Status Runtime::RemoveContainerLocked(ContainerRecord& c) {
  CAPSTAN_TRY(StopContainerLocked(c, 0));
  std::string dir = ContainerStateDir(c.id);
  std::string rootfs = dir + "/rootfs";
  if (::umount2(rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return FailErrno("unmounting {}", rootfs);
  }
  CAPSTAN_TRY(deps_.cgroups->Destroy(c.cgroup_path));
  CAPSTAN_TRY(RemoveAll(dir));
  // The record goes last so that a failed removal can be retried.
  CAPSTAN_TRY(RemoveAll(records_.ContainerDir(c.id)));
  records_.RemoveContainer(c.id);
  auto sandbox = records_.Sandbox(c.sandbox_id);
  if (sandbox) {
    records_.ReleaseName(ContainerName(c.config.metadata(), (*sandbox)->config.metadata()));
  }
  kLog.Info("container removed", {{"id", c.id}});
  EmitEvent(c.id, c.sandbox_id, v1::CONTAINER_DELETED_EVENT);
  return Ok();
}

Result<v1::RemoveContainerResponse> Runtime::RemoveContainer(
    const v1::RemoveContainerRequest& req) {
  auto c = records_.Container(req.container_id());
  if (!c) {
    if (c.error().code() == Code::kNotFound) {
      return v1::RemoveContainerResponse{};  // already gone
    }
    return Fail(c.error());
  }
  std::lock_guard op((*c)->op_mu);
  CAPSTAN_TRY(RemoveContainerLocked(**c));
  return v1::RemoveContainerResponse{};
}

}  // namespace capstan::cri::runtime

// UpdateContainerResources and ReopenContainerLog.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/file.h"
#include "cri/runtime/resources.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

Result<v1::UpdateContainerResourcesResponse> Runtime::UpdateContainerResources(
    const v1::UpdateContainerResourcesRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lock(c->mu);
    if (c->state != v1::CONTAINER_CREATED && c->state != v1::CONTAINER_RUNNING) {
      return Fail(Code::kFailedPrecondition, "container {} is not running", c->id);
    }
  }
  oci::CgroupResources res = ToCgroupResources(req.linux(), config_.pids_limit);
  CAPSTAN_TRY_WRAP(deps_.cgroups->Apply(c->cgroup_path, res), "updating resources of {}", c->id);
  std::lock_guard lock(c->mu);
  *c->config.mutable_linux()->mutable_resources() = req.linux();
  CAPSTAN_TRY(records_.Persist(*c));
  return v1::UpdateContainerResourcesResponse{};
}

Result<v1::ReopenContainerLogResponse> Runtime::ReopenContainerLog(
    const v1::ReopenContainerLogRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  pid_t monitor;
  std::string log_path;
  {
    std::lock_guard lock(c->mu);
    if (c->state != v1::CONTAINER_RUNNING) {
      return Fail(Code::kFailedPrecondition, "container {} is not running", c->id);
    }
    monitor = c->monitor_pid;
    log_path = c->log_path;
  }
  if (log_path.empty()) {
    return v1::ReopenContainerLogResponse{};
  }
  if (::kill(monitor, SIGUSR1) != 0) {
    return FailErrno("signalling the monitor of {}", c->id);
  }
  // The kubelet renamed the file before calling: done when the monitor has created it anew.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!PathExists(log_path)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail(Code::kDeadlineExceeded, "the monitor of {} did not reopen {}", c->id, log_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return v1::ReopenContainerLogResponse{};
}

}  // namespace capstan::cri::runtime

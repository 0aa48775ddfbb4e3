// StopPodSandbox and RemovePodSandbox. Both are idempotent.
#include <sys/mount.h>

#include <optional>

#include "common/file.h"
#include "common/log.h"
#include "cri/runtime/namespaces.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {
const log::Logger kLog("cri.sandbox");
}

Status Runtime::StopSandboxLocked(SandboxRecord& s) {
  // Every container first (the pod's grace period was honoured by the kubelet already).
  for (const auto& c : records_.ContainersOf(s.id)) {
    std::lock_guard op(c->op_mu);
    CAPSTAN_TRY(StopContainerLocked(*c, 0));
  }
  bool network_ready;
  pid_t pid_init;
  uint64_t pid_init_start;
  {
    std::lock_guard lock(s.mu);
    network_ready = s.network_ready;
    pid_init = s.pid_init;
    pid_init_start = s.pid_init_start;
  }
  // The shared PID namespace ends with the pod (and whatever its containers left in it).
  StopPodInit(pid_init, pid_init_start);
  if (network_ready) {
    network::PodNetworkRequest net_req{s.id, s.netns, &s.config};
    CAPSTAN_TRY_WRAP(deps_.network->TearDownPod(net_req), "tearing down the pod network");
  }
  bool was_ready;
  {
    std::lock_guard lock(s.mu);
    was_ready = s.state == v1::SANDBOX_READY;
    s.network_ready = false;
    s.state = v1::SANDBOX_NOTREADY;
    CAPSTAN_TRY(records_.Persist(s));
  }
  if (was_ready) {
    EmitEvent(s.id, s.id, v1::CONTAINER_STOPPED_EVENT);
  }
  return Ok();
}

Result<v1::StopPodSandboxResponse> Runtime::StopPodSandbox(const v1::StopPodSandboxRequest& req) {
  auto s = records_.Sandbox(req.pod_sandbox_id());
  if (!s) {
    // Stopping what is not there is success (the kubelet retries stops after restarts).
    if (s.error().code() == Code::kNotFound) {
      return v1::StopPodSandboxResponse{};
    }
    return Fail(s.error());
  }
  std::lock_guard op((*s)->op_mu);
  CAPSTAN_TRY(StopSandboxLocked(**s));
  kLog.Info("sandbox stopped", {{"id", (*s)->id}});
  return v1::StopPodSandboxResponse{};
}

Result<v1::RemovePodSandboxResponse> Runtime::RemovePodSandbox(
    const v1::RemovePodSandboxRequest& req) {
  auto s = records_.Sandbox(req.pod_sandbox_id());
  if (!s) {
    if (s.error().code() == Code::kNotFound) {
      return v1::RemovePodSandboxResponse{};
    }
    return Fail(s.error());
  }
  SandboxRecord& sb = **s;
  std::lock_guard op(sb.op_mu);
  CAPSTAN_TRY(StopSandboxLocked(sb));
  for (const auto& c : records_.ContainersOf(sb.id)) {
    std::lock_guard cop(c->op_mu);
    CAPSTAN_TRY(RemoveContainerLocked(*c));
  }
  CAPSTAN_TRY(UnpinNamespace(sb.netns));
  CAPSTAN_TRY(UnpinNamespace(sb.ipcns));
  CAPSTAN_TRY(UnpinNamespace(sb.utsns));
  if (!sb.shm.empty() && ::umount2(sb.shm.c_str(), MNT_DETACH) != 0 && errno != EINVAL &&
      errno != ENOENT) {
    return FailErrno("unmounting {}", sb.shm);
  }
  // Built while the sandbox's status can still be read: the event names the pod it was.
  std::optional<v1::ContainerEventResponse> deleted;
  if (events_.HasSubscribers()) {
    deleted = BuildEvent(sb.id, sb.id, v1::CONTAINER_DELETED_EVENT);
  }
  // The record goes last: if anything above fails, a retry finds the sandbox again.
  CAPSTAN_TRY(RemoveAll(records_.SandboxDir(sb.id)));
  CAPSTAN_TRY(RemoveAll(SandboxStateDir(sb.id)));
  records_.RemoveSandbox(sb.id);
  records_.ReleaseName(SandboxName(sb.config.metadata()));
  kLog.Info("sandbox removed", {{"id", sb.id}});
  if (deleted) {
    events_.Publish(*deleted);
  }
  return v1::RemovePodSandboxResponse{};
}

}  // namespace capstan::cri::runtime

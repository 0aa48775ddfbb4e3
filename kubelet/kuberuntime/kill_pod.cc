// Graceful termination: preStop hooks within the grace period, then StopContainer with what
// is left of it, then the sandboxes.
#include <future>

#include "common/log.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/kuberuntime/runtime_manager.h"

namespace capstan::kubelet::kuberuntime {

namespace v1 = api::cri::v1;

namespace {
const log::Logger kLog("kubelet");
// Containers always get this long to stop, so a slow preStop does not turn into SIGKILL.
constexpr int64_t kMinimumGracePeriodSeconds = 2;

const api::k8s::Container* FindSpec(const api::k8s::Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (const auto& c : *list) {
      if (c.name == name) {
        return &c;
      }
    }
  }
  return nullptr;
}

// setTerminationGracePeriod upstream: the deletion grace period, else the probe's own
// period for probe kills, else the pod's.
int64_t GracePeriod(const api::k8s::Pod& pod, const api::k8s::Container* c,
                    const std::string& reason) {
  if (pod.metadata.deletion_grace_period_seconds) {
    return *pod.metadata.deletion_grace_period_seconds;
  }
  if (pod.spec.termination_grace_period_seconds) {
    if (c && reason == "StartupProbe" && c->startup_probe &&
        c->startup_probe->termination_grace_period_seconds) {
      return *c->startup_probe->termination_grace_period_seconds;
    }
    if (c && reason == "LivenessProbe" && c->liveness_probe &&
        c->liveness_probe->termination_grace_period_seconds) {
      return *c->liveness_probe->termination_grace_period_seconds;
    }
    return *pod.spec.termination_grace_period_seconds;
  }
  return kMinimumGracePeriodSeconds;
}

}  // namespace

Status RuntimeManager::KillContainer(const api::k8s::Pod* pod, const std::string& id,
                                     const std::string& name, const std::string& message,
                                     const std::string& reason,
                                     std::optional<int64_t> grace_override,
                                     const std::string& pod_ip) {
  const api::k8s::Container* spec = pod ? FindSpec(*pod, name) : nullptr;
  int64_t grace = kMinimumGracePeriodSeconds;
  if (pod) {
    grace = GracePeriod(*pod, spec, reason);
  } else {
    // The spec is gone (the kubelet restarted, or the pod was removed): use what the
    // container was created with.
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    if (auto st = deps_.runtime->ContainerStatus(req)) {
      grace = TerminationGracePeriodOf(st->status().annotations()).value_or(grace);
    }
  }
  if (pod && deps_.recorder) {
    deps_.recorder->PodEvent(*pod, events::ContainerFieldPath(*pod, name), events::kNormal,
                             "Killing", message.empty() ? "Stopping container " + name : message);
  }
  kLog.Info("killing container",
            {{"container", name},
             {"id", id},
             {"gracePeriod", grace},
             {"message", message.empty() ? "Stopping container " + name : message}});
  if (spec && spec->lifecycle && spec->lifecycle->pre_stop && grace > 0) {
    auto start = deps_.clock->Monotonic();
    std::string ip = pod_ip.empty() ? deps_.node.node_ip : pod_ip;
    auto hook =
        hooks_.Run(id, *pod, *spec, *spec->lifecycle->pre_stop, ip, std::chrono::seconds(grace));
    if (!hook) {
      kLog.Warn("preStop hook failed", {{"container", name}, {"error", hook.error().message()}});
    }
    auto spent =
        std::chrono::duration_cast<std::chrono::seconds>(deps_.clock->Monotonic() - start).count();
    grace -= spent;
  }
  grace = std::max(grace, kMinimumGracePeriodSeconds);
  if (grace_override) {
    grace = *grace_override;
  }
  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  stop.set_timeout(grace);
  auto r = deps_.runtime->StopContainer(stop);
  if (!r && r.error().code() != Code::kNotFound) {
    return Fail(r.error().Wrap("stopping container {}", name));
  }
  return Ok();
}

PodSyncResult RuntimeManager::KillPod(const api::k8s::Pod* pod,
                                      const container::RunningPod& running,
                                      std::optional<int64_t> grace_override) {
  PodSyncResult result;
  // All containers stop in parallel, each within its own grace period.
  std::vector<std::pair<std::string, std::future<Status>>> kills;
  for (const auto& c : running.containers) {
    if (c.state != container::ContainerState::kRunning &&
        c.state != container::ContainerState::kUnknown) {
      continue;
    }
    kills.emplace_back(
        c.name, std::async(std::launch::async, [this, pod, c, grace_override, ip = running.ip] {
          return KillContainer(pod, c.id, c.name, "", "", grace_override, ip);
        }));
  }
  for (auto& [name, fut] : kills) {
    Status st = fut.get();
    if (st) {
      result.Add(SyncAction::kKillContainer, name);
    } else {
      result.Fail(SyncAction::kKillContainer, name, {kKillContainerError, st.error().message()});
    }
  }
  for (const auto& [id, ready] : running.sandboxes) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    auto r = deps_.runtime->StopPodSandbox(stop);
    if (r || r.error().code() == Code::kNotFound) {
      result.Add(SyncAction::kKillPodSandbox, id);
    } else {
      result.Fail(SyncAction::kKillPodSandbox, id, {kKillPodSandboxError, r.error().message()});
    }
  }
  return result;
}

Status RuntimeManager::RemovePod(const std::string& uid) {
  v1::ListPodSandboxRequest list;
  (*list.mutable_filter()->mutable_label_selector())[kPodUidLabel] = uid;
  CAPSTAN_ASSIGN_OR_RETURN(auto sandboxes, deps_.runtime->ListPodSandbox(list));
  for (const auto& s : sandboxes.items()) {
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(s.id());
    if (auto r = deps_.runtime->RemovePodSandbox(rm); !r && r.error().code() != Code::kNotFound) {
      return Fail(r.error().Wrap("removing sandbox {}", s.id()));
    }
  }
  return Ok();
}

}  // namespace capstan::kubelet::kuberuntime

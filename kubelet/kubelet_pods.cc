// The Kubelet as the pod workers' PodSyncer: one pod's sync, termination and cleanup.
#include "common/log.h"
#include "kubelet/events/recorder.h"
#include "kubelet/kubelet.h"
#include "kubelet/prober/worker.h"
#include "kubelet/status/display.h"
#include "kubelet/status/generate.h"

namespace capstan::kubelet {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

Status Kubelet::UpdateStatus(const api::k8s::Pod& pod, const container::PodStatus& runtime_status) {
  auto previous = status_.GetPodStatus(pod.metadata.uid);
  status::GenerateInputs in;
  in.pod = &pod;
  in.runtime = &runtime_status;
  in.previous = previous ? &*previous : nullptr;
  in.reasons = &reasons_;
  in.apply_probes = [this](const api::k8s::Pod& p, api::k8s::PodStatus& s) {
    probes_.UpdatePodStatus(p, s);
  };
  in.host_ip = options_.node_ip;
  api::k8s::PodStatus s = status::GeneratePodStatus(in);
  std::string before = previous ? status::PodDisplayStatus(pod, *previous) : "";
  std::string after = status::PodDisplayStatus(pod, s);
  if (before != after) {
    kLog.Info("pod status",
              {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name}, {"status", after}});
  }
  status_.SetPodStatus(pod, std::move(s));
  return Ok();
}

Result<bool> Kubelet::SyncPod(podworkers::UpdateType type, const api::k8s::Pod& pod) {
  const std::string& uid = pod.metadata.uid;
  CAPSTAN_ASSIGN_OR_RETURN(container::PodStatus rs,
                           runtime_.GetPodStatus(uid, pod.metadata.name, pod.metadata.namespace_));
  CAPSTAN_TRY(UpdateStatus(pod, rs));
  auto api_status = status_.GetPodStatus(uid);
  if (api_status && (api_status->phase == "Succeeded" || api_status->phase == "Failed")) {
    return true;
  }
  if (deps_.cgroups && options_.config.cgroups_per_qos) {
    auto pids = options_.config.pod_pids_limit > 0
                    ? std::optional<int64_t>(options_.config.pod_pids_limit)
                    : std::nullopt;
    CAPSTAN_TRY_WRAP(
        deps_.cgroups->Create(cgroup_names_.PodCgroup(pod), cm::PodResources(pod, pids)),
        "pod cgroup");
  }
  auto volume_paths = volumes_.MountPod(pod);
  if (!volume_paths) {
    if (deps_.recorder) {
      deps_.recorder->PodEvent(pod, "", events::kWarning, "FailedMount",
                               volume_paths.error().message());
    }
    return Fail(volume_paths.error());
  }
  probes_.AddPod(pod);

  kuberuntime::ProbeVerdicts verdicts;
  verdicts.liveness_failed = [this](const std::string& id) {
    auto r = probes_.liveness().Get(id);
    return r && *r == prober::ProbeResult::kFailure;
  };
  verdicts.startup_failed = [this](const std::string& id) {
    auto r = probes_.startup().Get(id);
    return r && *r == prober::ProbeResult::kFailure;
  };
  kuberuntime::PodSyncResult result = runtime_.SyncPod(pod, rs, verdicts, *volume_paths);
  reasons_.Update(uid, result);
  bool changed = false;
  for (const auto& step : result.steps) {
    changed = changed || step.ok();
  }
  if (changed) {
    // Show what this sync did (started or killed containers) right away rather than at
    // the next relist.
    if (auto after = runtime_.GetPodStatus(uid, pod.metadata.name, pod.metadata.namespace_)) {
      CAPSTAN_TRY(UpdateStatus(pod, *after));
    }
  } else if (!result.steps.empty()) {
    CAPSTAN_TRY(UpdateStatus(pod, rs));  // the waiting reasons changed
  }
  CAPSTAN_TRY(result.ToStatus());
  return false;
}

Status Kubelet::SyncTerminatingPod(const api::k8s::Pod& pod,
                                   std::optional<int64_t> grace_period_override) {
  const std::string& uid = pod.metadata.uid;
  probes_.StopLivenessAndStartup(uid);
  CAPSTAN_ASSIGN_OR_RETURN(container::PodStatus rs,
                           runtime_.GetPodStatus(uid, pod.metadata.name, pod.metadata.namespace_));
  container::RunningPod running{uid, pod.metadata.name, pod.metadata.namespace_, {}, {}, {}};
  running.ip = rs.ips.empty() ? "" : rs.ips[0];
  for (const auto& s : rs.sandboxes) {
    running.sandboxes.push_back({s.id, s.ready});
  }
  for (const auto& c : rs.containers) {
    running.containers.push_back({c.id, c.name, c.state});
  }
  kLog.Info("stopping pod",
            {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name}, {"uid", uid}});
  auto result = runtime_.KillPod(&pod, running, grace_period_override);
  CAPSTAN_TRY(result.ToStatus());
  CAPSTAN_ASSIGN_OR_RETURN(container::PodStatus after,
                           runtime_.GetPodStatus(uid, pod.metadata.name, pod.metadata.namespace_));
  for (const auto& c : after.containers) {
    if (c.state == container::ContainerState::kRunning) {
      return Fail(Code::kUnavailable, "container {} is still running", c.name);
    }
  }
  return UpdateStatus(pod, after);
}

Status Kubelet::SyncTerminatingRuntimePod(const container::RunningPod& pod) {
  kLog.Info("stopping pod", {{"pod", pod.namespace_ + "/" + pod.name}, {"uid", pod.uid}});
  auto result = runtime_.KillPod(nullptr, pod, std::nullopt);
  CAPSTAN_TRY(result.ToStatus());
  return runtime_.RemovePod(pod.uid);
}

Status Kubelet::SyncTerminatedPod(const api::k8s::Pod& pod) {
  const std::string& uid = pod.metadata.uid;
  probes_.RemovePod(uid);
  CAPSTAN_TRY_WRAP(volumes_.UnmountPod(pod), "tearing down volumes");
  if (!IsDesired(uid)) {
    // Removed from its source: nothing of it needs to stay (a finished pod that is still
    // wanted keeps its containers for status and logs).
    CAPSTAN_TRY(runtime_.RemovePod(uid));
    status_.RemovePod(uid);
    reasons_.RemovePod(uid);
  }
  if (deps_.cgroups && options_.config.cgroups_per_qos) {
    // Best effort: a process that outlived its container (or a runtime slow to clean up)
    // keeps the cgroup busy; housekeeping removes orphaned pod cgroups later.
    if (auto st = deps_.cgroups->Destroy(cgroup_names_.PodCgroup(pod)); !st) {
      kLog.Warn("pod cgroup not removed yet",
                {{"pod", pod.metadata.name}, {"error", st.error().message()}});
    }
  }
  return Ok();
}

}  // namespace capstan::kubelet

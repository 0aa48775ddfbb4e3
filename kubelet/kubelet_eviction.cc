// The kubelet's side of node-pressure eviction: which pods count, and evicting one.
#include "common/log.h"
#include "kubelet/kubelet.h"

namespace capstan::kubelet {

namespace {
const log::Logger kLog("eviction");

bool IsTerminal(const std::string& phase) { return phase == "Failed" || phase == "Succeeded"; }
}  // namespace

std::vector<api::k8s::Pod> Kubelet::ActivePods() const {
  std::vector<api::k8s::Pod> out;
  for (auto& pod : GetPods()) {
    const std::string& uid = pod.metadata.uid;
    if (IsPodTerminated(uid) || workers_.IsPodTerminationRequested(uid) ||
        IsTerminal(pod.status.phase)) {
      continue;
    }
    auto st = status_.GetPodStatus(uid);
    if (st && IsTerminal(st->phase)) continue;
    out.push_back(std::move(pod));
  }
  return out;
}

void Kubelet::EvictPod(const api::k8s::Pod& pod, const std::string& message,
                       std::optional<int64_t> grace_period_override) {
  kLog.Info("evicting a pod",
            {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name}, {"message", message}});
  if (deps_.recorder) deps_.recorder->PodEvent(pod, "", events::kWarning, "Evicted", message);
  // The terminal phase is sticky: the status generated after the kill keeps it.
  api::k8s::PodStatus status = status_.GetPodStatus(pod.metadata.uid).value_or(pod.status);
  status.phase = "Failed";
  status.reason = "Evicted";
  status.message = message;
  api::k8s::PodCondition disruption;
  disruption.type = "DisruptionTarget";
  disruption.status = "True";
  disruption.last_transition_time = deps_.clock->Now();
  disruption.reason = "TerminationByKubelet";
  disruption.message = message;
  status.conditions.push_back(disruption);
  status_.SetPodStatus(pod, std::move(status));
  podworkers::UpdatePodOptions kill;
  kill.type = podworkers::UpdateType::kKill;
  kill.pod = pod;
  kill.grace_period_override = grace_period_override;
  workers_.UpdatePod(std::move(kill));
}

void Kubelet::DeleteUnusedImages() {
  auto freed = image_gc_.DeleteUnusedImages();
  if (!freed) {
    kLog.Warn("deleting unused images", {{"error", freed.error().message()}});
  } else {
    kLog.Info("deleted unused images", {{"bytesFreed", *freed}});
  }
}

}  // namespace capstan::kubelet

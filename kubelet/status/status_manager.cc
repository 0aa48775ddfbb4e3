#include "kubelet/status/status_manager.h"

#include "api/k8s/codec.h"
#include "common/log.h"

namespace capstan::kubelet::status {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

void StatusManager::SetPodStatus(const api::k8s::Pod& pod, api::k8s::PodStatus status) {
  WallTime now = api::k8s::TruncateToSeconds(clock_->Now());
  std::lock_guard lock(mu_);
  auto it = pods_.find(pod.metadata.uid);
  const api::k8s::PodStatus* old = it == pods_.end() ? nullptr : &it->second.status;
  for (auto& c : status.conditions) {
    c.last_transition_time = now;
    if (old) {
      for (const auto& oc : old->conditions) {
        if (oc.type == c.type && oc.status == c.status && oc.last_transition_time) {
          c.last_transition_time = oc.last_transition_time;
        }
      }
    }
  }
  if (old && old->start_time) {
    status.start_time = old->start_time;
  } else if (!status.start_time) {
    status.start_time = now;
  }
  if (old && api::k8s::EncodePodStatus(*old) == api::k8s::EncodePodStatus(status)) {
    return;
  }
  if (!old || old->phase != status.phase) {
    kLog.Info("pod phase", {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                            {"phase", status.phase}});
  }
  auto& entry = pods_[pod.metadata.uid];
  entry.status = std::move(status);
  entry.generation++;
}

std::optional<api::k8s::PodStatus> StatusManager::GetPodStatus(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) {
    return std::nullopt;
  }
  return it->second.status;
}

void StatusManager::RemovePod(const std::string& uid) {
  std::lock_guard lock(mu_);
  pods_.erase(uid);
}

uint64_t StatusManager::Generation(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  return it == pods_.end() ? 0 : it->second.generation;
}

}  // namespace capstan::kubelet::status

#include "kubelet/status/reason_cache.h"

namespace capstan::kubelet::status {

void ReasonCache::Update(const std::string& uid, const kuberuntime::PodSyncResult& result) {
  std::lock_guard lock(mu_);
  for (const auto& step : result.steps) {
    if (step.action != kuberuntime::SyncAction::kStartContainer) {
      continue;
    }
    if (step.ok()) {
      reasons_.erase({uid, step.target});
    } else {
      reasons_[{uid, step.target}] = {step.reason, step.message};
    }
  }
}

std::optional<kuberuntime::ReasonedError> ReasonCache::Get(const std::string& uid,
                                                           const std::string& container) const {
  std::lock_guard lock(mu_);
  auto it = reasons_.find({uid, container});
  if (it == reasons_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void ReasonCache::RemovePod(const std::string& uid) {
  std::lock_guard lock(mu_);
  std::erase_if(reasons_, [&](const auto& kv) { return kv.first.first == uid; });
}

}  // namespace capstan::kubelet::status

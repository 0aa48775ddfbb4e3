#include "kubelet/prober/results.h"

namespace capstan::kubelet::prober {

std::string_view ProbeTypeName(ProbeType t) {
  switch (t) {
    case ProbeType::kLiveness: return "Liveness";
    case ProbeType::kReadiness: return "Readiness";
    case ProbeType::kStartup: return "Startup";
  }
  return "?";
}

std::string_view ProbeResultName(ProbeResult r) {
  switch (r) {
    case ProbeResult::kUnknown: return "Unknown";
    case ProbeResult::kSuccess: return "Success";
    case ProbeResult::kFailure: return "Failure";
  }
  return "?";
}

std::optional<ProbeResult> ResultsManager::Get(const std::string& container_id) const {
  std::lock_guard lock(mu_);
  auto it = results_.find(container_id);
  if (it == results_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void ResultsManager::Set(const std::string& container_id, ProbeResult result,
                         const std::string& pod_uid) {
  std::lock_guard lock(mu_);
  auto it = results_.find(container_id);
  if (it != results_.end() && it->second == result) {
    return;
  }
  results_[container_id] = result;
  updates_.push_back({container_id, result, pod_uid});
}

void ResultsManager::Remove(const std::string& container_id) {
  std::lock_guard lock(mu_);
  results_.erase(container_id);
}

std::vector<ResultUpdate> ResultsManager::TakeUpdates() {
  std::lock_guard lock(mu_);
  return std::exchange(updates_, {});
}

}  // namespace capstan::kubelet::prober

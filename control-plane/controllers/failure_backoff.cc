#include "control-plane/controllers/failure_backoff.h"

#include <algorithm>

namespace capstan::control_plane::controllers {

void FailureBackoff::Failed(const std::string& id) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[id];
  ++e.failures;
  e.last = clock_->Monotonic();
}

void FailureBackoff::SetFailures(const std::string& id, int64_t failures) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[id];
  if (failures > e.failures) e.last = clock_->Monotonic();
  e.failures = failures;
}

std::chrono::milliseconds FailureBackoff::Remaining(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.failures <= 0) return std::chrono::milliseconds(0);
  auto delay = base_ * (int64_t{1} << std::min<int64_t>(it->second.failures - 1, 20));
  delay = std::min(delay, max_);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.last + delay -
                                                                    clock_->Monotonic());
  return std::max(left, std::chrono::milliseconds(0));
}

void FailureBackoff::Forget(const std::string& id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

}  // namespace capstan::control_plane::controllers

#include "control-plane/controllers/expectations.h"

namespace capstan::control_plane::controllers {

void Expectations::Expect(const std::string& key, int creations, int deletions) {
  std::lock_guard lock(mu_);
  pending_[key] = {creations, deletions, clock_->Monotonic()};
}

void Expectations::CreationObserved(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(key); it != pending_.end()) --it->second.creations;
}

void Expectations::DeletionObserved(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(key); it != pending_.end()) --it->second.deletions;
}

bool Expectations::Satisfied(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it == pending_.end()) return true;
  if (it->second.creations <= 0 && it->second.deletions <= 0) return true;
  return clock_->Monotonic() - it->second.set_at > std::chrono::minutes(5);
}

void Expectations::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  pending_.erase(key);
}

}  // namespace capstan::control_plane::controllers

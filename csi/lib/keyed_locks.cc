#include "csi/lib/keyed_locks.h"

namespace capstan::csi {

KeyedLocks::Guard::~Guard() {
  if (owner_ != nullptr) {
    std::lock_guard lock(owner_->mu_);
    owner_->held_.erase(key_);
  }
}

std::optional<KeyedLocks::Guard> KeyedLocks::TryLock(const std::string& key) {
  std::lock_guard lock(mu_);
  if (!held_.insert(key).second) {
    return std::nullopt;
  }
  return Guard(this, key);
}

}  // namespace capstan::csi

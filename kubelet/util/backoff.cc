#include "kubelet/util/backoff.h"

#include <algorithm>

namespace capstan::kubelet::util {

Backoff::Backoff(const Clock* clock, Duration initial, Duration max)
    : clock_(clock), initial_(initial), max_(max) {}

bool Backoff::HasExpired(WallTime event_time, WallTime last_update) const {
  return event_time - last_update > 2 * max_;
}

Backoff::Duration Backoff::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? Duration(0) : it->second.backoff;
}

void Backoff::Next(const std::string& key, WallTime event_time) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) {
    entries_[key] = Entry{initial_, clock_->Now()};
    return;
  }
  it->second.backoff = std::min<Duration>(it->second.backoff * 2, max_);
  it->second.last_update = clock_->Now();
}

bool Backoff::IsInBackOffSince(const std::string& key, WallTime event_time) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) {
    return false;
  }
  return clock_->Now() - event_time < it->second.backoff;
}

bool Backoff::IsInBackOffSinceUpdate(const std::string& key, WallTime event_time) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) {
    return false;
  }
  return event_time - it->second.last_update < it->second.backoff;
}

void Backoff::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

void Backoff::GC() {
  std::lock_guard lock(mu_);
  WallTime now = clock_->Now();
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_update > 2 * max_; });
}

}  // namespace capstan::kubelet::util

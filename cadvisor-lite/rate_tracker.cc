#include "cadvisor-lite/rate_tracker.h"

namespace capstan::cadvisor {

RateTracker::RateTracker(const Clock* clock, Options options) : clock_(clock), options_(options) {}

std::optional<uint64_t> RateTracker::Rate(const Entry& e) {
  if (!e.previous) {
    return std::nullopt;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(e.last.at - e.previous->at);
  if (elapsed.count() <= 0) {
    return std::nullopt;
  }
  // usage_ns per elapsed ns is cores; scale to nanocores without overflowing 64 bits.
  long double cores = static_cast<long double>(e.last.usage_ns - e.previous->usage_ns) /
                      static_cast<long double>(elapsed.count());
  return static_cast<uint64_t>(cores * 1e9L + 0.5L);
}

std::optional<uint64_t> RateTracker::Observe(const std::string& key, WallTime at,
                                             uint64_t usage_ns) {
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  e.observed = now;
  if (inserted || usage_ns < e.last.usage_ns || at < e.last.at) {
    e.previous.reset();
    e.last = Sample{at, usage_ns};
    return std::nullopt;
  }
  if (at - e.last.at >= options_.min_interval) {
    e.previous = e.last;
    e.last = Sample{at, usage_ns};
  }
  return Rate(e);
}

void RateTracker::Prune() {
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.observed > options_.forget_after ? entries_.erase(it) : std::next(it);
  }
}

size_t RateTracker::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace capstan::cadvisor

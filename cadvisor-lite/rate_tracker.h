#pragma once
// usageNanoCores needs two samples of a cumulative CPU counter. RateTracker keeps the last two
// per key (a container id, a pod uid, "node"), at least `min_interval` apart so a burst of
// requests does not shrink the window to noise, and forgets keys nobody observed for
// `forget_after`, so a container that is gone costs nothing. Thread-safe.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/time.h"

namespace capstan::cadvisor {

class RateTracker {
 public:
  struct Options {
    std::chrono::nanoseconds min_interval = std::chrono::seconds(1);
    std::chrono::nanoseconds forget_after = std::chrono::minutes(5);
  };
  explicit RateTracker(const Clock* clock, Options options);
  explicit RateTracker(const Clock* clock) : RateTracker(clock, Options{}) {}

  // Records `usage_ns` (cumulative CPU time) read at `at`, and returns the usage in
  // nanocores between the two samples kept, or nullopt until there are two. A counter that
  // went backwards (the cgroup was recreated) restarts the key.
  std::optional<uint64_t> Observe(const std::string& key, WallTime at, uint64_t usage_ns);
  // Drops the keys not observed within forget_after.
  void Prune();
  size_t size() const;

 private:
  struct Sample {
    WallTime at;
    uint64_t usage_ns = 0;
  };
  struct Entry {
    std::optional<Sample> previous;
    Sample last;
    std::chrono::steady_clock::time_point observed;
  };
  static std::optional<uint64_t> Rate(const Entry& e);

  const Clock* clock_;
  Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace capstan::cadvisor

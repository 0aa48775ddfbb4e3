#pragma once
// Per-key exponential back-off, as client-go's flowcontrol.Backoff that the kubelet uses for
// crash-looping containers (10 s doubling to 5 min) and failing image pulls. Keyed by a
// stable id (pod + container + spec hash); an entry idle for twice the maximum starts over.
// Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/time.h"

namespace capstan::kubelet::util {

class Backoff {
 public:
  using Duration = std::chrono::steady_clock::duration;
  Backoff(const Clock* clock, Duration initial, Duration max);

  // The current delay for `key` (0 when none).
  Duration Get(const std::string& key) const;
  // Records one more failure at `event_time` (e.g. a container's finish time): the delay
  // starts at `initial` and doubles up to `max`.
  void Next(const std::string& key, WallTime event_time);
  // Whether `event_time` is still within the current delay of `key`.
  bool IsInBackOffSince(const std::string& key, WallTime event_time) const;
  // Whether `event_time` is within the current delay since the last Next (image pulls).
  bool IsInBackOffSinceUpdate(const std::string& key, WallTime event_time) const;
  void Reset(const std::string& key);
  // Drops entries not updated for twice the maximum delay.
  void GC();

 private:
  struct Entry {
    Duration backoff;
    WallTime last_update;
  };
  bool HasExpired(WallTime event_time, WallTime last_update) const;

  const Clock* clock_;
  Duration initial_;
  Duration max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace capstan::kubelet::util

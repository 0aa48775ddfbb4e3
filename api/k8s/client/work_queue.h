#pragma once
// WorkQueue: the keys ("namespace/name") a controller has to sync, as client-go's
// rate-limited work queue keeps them. A key is queued once however often it is added; a key
// being synced is not handed to a second worker, and one added meanwhile is queued again
// when the first sync is Done. Failed syncs come back after a per-key exponential back-off
// (5 ms doubling to 1000 s, as client-go's default) until Forget. Delays are measured on the
// injected Clock, so tests move time by hand.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/time.h"

namespace capstan::api::k8s::client {

class WorkQueue {
 public:
  explicit WorkQueue(const Clock* clock,
                     std::chrono::milliseconds base_delay = std::chrono::milliseconds(5),
                     std::chrono::milliseconds max_delay = std::chrono::seconds(1000));

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // After the key's own back-off, which doubles with each call until Forget.
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // The next key ready to sync; waits for one. nullopt once shut down.
  std::optional<std::string> Get();
  // The next key ready now, if any (tests with a fake clock).
  std::optional<std::string> TryGet();
  // The sync of `key` ended (a key re-added meanwhile is queued again).
  void Done(const std::string& key);

  // Wakes every Get (they return nullopt); later adds are dropped.
  void ShutDown();
  // Keys ready or waiting for their delay.
  size_t Len() const;

 private:
  void PromoteDueLocked();
  std::optional<std::string> PopLocked();

  const Clock* clock_;
  std::chrono::milliseconds base_delay_;
  std::chrono::milliseconds max_delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued, or to be queued again when Done
  std::set<std::string> processing_;  // handed out by Get
  std::multimap<std::chrono::steady_clock::time_point, std::string> waiting_;
  std::map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace capstan::api::k8s::client

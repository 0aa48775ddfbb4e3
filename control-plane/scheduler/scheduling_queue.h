#pragma once
// SchedulingQueue: the pods waiting for a node, in kube-scheduler's three parts:
//   active:        ready to be tried, highest priority first, then oldest first;
//   back-off:      tried and failed; wait 1 s doubling to 10 s per attempt before the next;
//   unschedulable: nothing fitted; they wait until the cluster changes (a node added or
//                  relabelled, a pod gone: MoveAllToActiveOrBackoff) or 5 minutes pass.
// A pod that failed while the cluster changed under its attempt goes to back-off, not to
// unschedulable, so the change is not missed. Times come from the injected Clock.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/time.h"

namespace capstan::control_plane::scheduler {

class SchedulingQueue {
 public:
  using Duration = std::chrono::steady_clock::duration;
  explicit SchedulingQueue(const Clock* clock, Duration initial_backoff = std::chrono::seconds(1),
                           Duration max_backoff = std::chrono::seconds(10),
                           Duration max_unschedulable = std::chrono::minutes(5));

  // A new or changed pending pod (key "namespace/name"). A pod waiting in back-off or
  // unschedulable is left there; a pod being tried now is not queued twice.
  void Add(const std::string& key, int32_t priority, WallTime created);
  // The pod is gone or bound elsewhere.
  void Delete(const std::string& key);

  // The next pod to try (the attempt runs until Done); nullopt once closed. Waits.
  std::optional<std::string> Pop();
  // The next pod ready now, if any (tests with a fake clock).
  std::optional<std::string> TryPop();
  // The attempt ended: bound (or dropped) forgets the pod; otherwise it waits in
  // unschedulable (nothing fitted) or back-off (an error), as the class comment says.
  enum class Outcome { kScheduled, kUnschedulable, kError };
  void Done(const std::string& key, Outcome outcome);

  // Something changed that may let waiting pods fit.
  void MoveAllToActiveOrBackoff();
  void Close();

  // For tests and metrics: pods in each part.
  size_t ActiveCount() const;
  size_t BackoffCount() const;
  size_t UnschedulableCount() const;

 private:
  struct Entry {
    int32_t priority = 0;
    WallTime created;
    int attempts = 0;
    std::chrono::steady_clock::time_point last_try{};
    std::chrono::steady_clock::time_point unschedulable_since{};
  };
  enum class Where { kActive, kBackoff, kUnschedulable, kInFlight };
  Duration BackoffOf(const Entry& e) const;
  void FlushLocked();
  void ToActiveLocked(const std::string& key);
  std::optional<std::string> PopLocked();

  const Clock* clock_;
  Duration initial_backoff_, max_backoff_, max_unschedulable_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, Where> where_;
  // Active order: higher priority first, then older, then by key.
  std::set<std::tuple<int64_t, WallTime, std::string>> active_;
  uint64_t move_generation_ = 0;  // bumped by MoveAllToActiveOrBackoff
  std::map<std::string, uint64_t> popped_at_generation_;
  std::set<std::string> changed_in_flight_;  // updated while being tried: try again
  std::set<std::string> deleted_in_flight_;  // gone while being tried: forget at Done
  bool closed_ = false;
};

}  // namespace capstan::control_plane::scheduler

#include "control-plane/scheduler/scheduling_queue.h"

#include <algorithm>

namespace capstan::control_plane::scheduler {

SchedulingQueue::SchedulingQueue(const Clock* clock, Duration initial_backoff, Duration max_backoff,
                                 Duration max_unschedulable)
    : clock_(clock),
      initial_backoff_(initial_backoff),
      max_backoff_(max_backoff),
      max_unschedulable_(max_unschedulable) {}

SchedulingQueue::Duration SchedulingQueue::BackoffOf(const Entry& e) const {
  Duration d = initial_backoff_;
  for (int i = 1; i < e.attempts && d < max_backoff_; ++i) d *= 2;
  return std::min(d, max_backoff_);
}

void SchedulingQueue::ToActiveLocked(const std::string& key) {
  const Entry& e = entries_[key];
  active_.insert({-static_cast<int64_t>(e.priority), e.created, key});
  where_[key] = Where::kActive;
  cv_.notify_one();
}

void SchedulingQueue::Add(const std::string& key, int32_t priority, WallTime created) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  auto w = where_.find(key);
  if (w == where_.end()) {
    entries_[key] = Entry{priority, created, 0, {}, {}};
    ToActiveLocked(key);
    return;
  }
  if (w->second == Where::kInFlight) changed_in_flight_.insert(key);
  // An updated pod waiting as unschedulable may fit now (its spec changed): try it again
  // once its back-off allows, as upstream does for updates that could make it schedulable.
  if (w->second == Where::kUnschedulable) w->second = Where::kBackoff;
}

void SchedulingQueue::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  auto w = where_.find(key);
  if (w == where_.end()) return;
  if (w->second == Where::kActive) {
    const Entry& e = entries_[key];
    active_.erase({-static_cast<int64_t>(e.priority), e.created, key});
  }
  if (w->second == Where::kInFlight) {
    deleted_in_flight_.insert(key);  // Done forgets it
    return;
  }
  where_.erase(w);
  entries_.erase(key);
}

void SchedulingQueue::FlushLocked() {
  auto now = clock_->Monotonic();
  for (auto& [key, where] : where_) {
    const Entry& e = entries_[key];
    if (where == Where::kBackoff && now >= e.last_try + BackoffOf(e)) {
      ToActiveLocked(key);
    } else if (where == Where::kUnschedulable &&
               now >= e.unschedulable_since + max_unschedulable_) {
      ToActiveLocked(key);
    }
  }
}

std::optional<std::string> SchedulingQueue::PopLocked() {
  FlushLocked();
  if (active_.empty()) return std::nullopt;
  std::string key = std::get<2>(*active_.begin());
  active_.erase(active_.begin());
  where_[key] = Where::kInFlight;
  popped_at_generation_[key] = move_generation_;
  return key;
}

std::optional<std::string> SchedulingQueue::Pop() {
  std::unique_lock lock(mu_);
  while (!closed_) {
    if (auto key = PopLocked()) return key;
    // Back-offs end with time, not with a notification: look again every 100 ms.
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

std::optional<std::string> SchedulingQueue::TryPop() {
  std::lock_guard lock(mu_);
  if (closed_) return std::nullopt;
  return PopLocked();
}

void SchedulingQueue::Done(const std::string& key, Outcome outcome) {
  std::lock_guard lock(mu_);
  auto w = where_.find(key);
  if (w == where_.end() || w->second != Where::kInFlight) return;
  bool changed = changed_in_flight_.erase(key) > 0;
  uint64_t popped = popped_at_generation_[key];
  popped_at_generation_.erase(key);
  bool deleted = deleted_in_flight_.erase(key) > 0;
  if (outcome == Outcome::kScheduled || closed_ || deleted) {
    where_.erase(w);
    entries_.erase(key);
    return;
  }
  Entry& e = entries_[key];
  ++e.attempts;
  e.last_try = clock_->Monotonic();
  bool moved_meanwhile = move_generation_ != popped;
  if (outcome == Outcome::kUnschedulable && !changed && !moved_meanwhile) {
    w->second = Where::kUnschedulable;
    e.unschedulable_since = e.last_try;
  } else {
    w->second = Where::kBackoff;
  }
}

void SchedulingQueue::MoveAllToActiveOrBackoff() {
  std::lock_guard lock(mu_);
  ++move_generation_;
  auto now = clock_->Monotonic();
  for (auto& [key, where] : where_) {
    if (where != Where::kUnschedulable) continue;
    const Entry& e = entries_[key];
    if (now >= e.last_try + BackoffOf(e)) {
      ToActiveLocked(key);
    } else {
      where = Where::kBackoff;
    }
  }
}

void SchedulingQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

size_t SchedulingQueue::ActiveCount() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

size_t SchedulingQueue::BackoffCount() const {
  std::lock_guard lock(mu_);
  return std::count_if(where_.begin(), where_.end(),
                       [](const auto& w) { return w.second == Where::kBackoff; });
}

size_t SchedulingQueue::UnschedulableCount() const {
  std::lock_guard lock(mu_);
  return std::count_if(where_.begin(), where_.end(),
                       [](const auto& w) { return w.second == Where::kUnschedulable; });
}

}  // namespace capstan::control_plane::scheduler

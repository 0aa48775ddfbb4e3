#include "api/k8s/client/work_queue.h"

#include <algorithm>

namespace capstan::api::k8s::client {

WorkQueue::WorkQueue(const Clock* clock, std::chrono::milliseconds base_delay,
                     std::chrono::milliseconds max_delay)
    : clock_(clock), base_delay_(base_delay), max_delay_(max_delay) {}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (processing_.contains(key)) return;  // queued again by Done
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds(0)) return Add(key);
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  auto due = clock_->Monotonic() + delay;
  // One pending delay per key is enough: keep the earliest.
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->second != key) continue;
    if (it->first <= due) return;
    waiting_.erase(it);
    break;
  }
  waiting_.emplace(due, key);
  cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    int n = failures_[key]++;
    double factor = n >= 40 ? 1e12 : static_cast<double>(int64_t{1} << std::min(n, 40));
    double ms = static_cast<double>(base_delay_.count()) * factor;
    delay = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(ms, static_cast<double>(max_delay_.count()))));
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked() {
  auto now = clock_->Monotonic();
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string key = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    if (dirty_.contains(key)) continue;
    dirty_.insert(key);
    if (!processing_.contains(key)) queue_.push_back(key);
  }
}

std::optional<std::string> WorkQueue::PopLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutting_down_) return std::nullopt;
    PromoteDueLocked();
    if (auto key = PopLocked()) return key;
    // The clock may be a fake that tests move: look again at least every 100 ms.
    auto wait = std::chrono::milliseconds(100);
    if (!waiting_.empty()) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(waiting_.begin()->first -
                                                                         clock_->Monotonic());
      wait = std::clamp(until, std::chrono::milliseconds(1), wait);
    }
    cv_.wait_for(lock, wait);
  }
}

std::optional<std::string> WorkQueue::TryGet() {
  std::lock_guard lock(mu_);
  if (shutting_down_) return std::nullopt;
  PromoteDueLocked();
  return PopLocked();
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.contains(key) && !shutting_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size() + waiting_.size();
}

}  // namespace capstan::api::k8s::client

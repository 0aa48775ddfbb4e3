#include "cri/runtime/event_broadcaster.h"

#include "common/log.h"

namespace capstan::cri::runtime {
namespace {
const log::Logger kLog("cri.events");
}

EventBroadcaster::~EventBroadcaster() {
  std::lock_guard lock(mu_);
  CAPSTAN_CHECK(subscribers_.empty());
}

std::unique_ptr<EventBroadcaster::Subscription> EventBroadcaster::Subscribe() {
  std::unique_ptr<Subscription> s(new Subscription(this, capacity_));
  std::lock_guard lock(mu_);
  subscribers_.insert(s.get());
  return s;
}

void EventBroadcaster::Unsubscribe(Subscription* s) {
  std::lock_guard lock(mu_);
  subscribers_.erase(s);
}

void EventBroadcaster::Publish(const Event& event) {
  std::lock_guard lock(mu_);
  for (Subscription* s : subscribers_) {
    std::lock_guard sub_lock(s->mu_);
    if (s->overflowed_) {
      ++dropped_;
      continue;
    }
    if (s->queue_.size() >= s->capacity_) {
      // Too slow: drop what it has not read and end its stream; its client relists.
      dropped_ += s->queue_.size() + 1;
      s->queue_.clear();
      s->overflowed_ = true;
      s->cv_.notify_all();
      kLog.Warn("events subscriber fell behind; dropping its stream", {{"capacity", s->capacity_}});
      continue;
    }
    s->queue_.push_back(event);
    s->cv_.notify_all();
  }
}

bool EventBroadcaster::HasSubscribers() const {
  std::lock_guard lock(mu_);
  return !subscribers_.empty();
}

size_t EventBroadcaster::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

EventBroadcaster::Subscription::~Subscription() { owner_->Unsubscribe(this); }

Result<std::optional<EventBroadcaster::Event>> EventBroadcaster::Subscription::Next(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return overflowed_ || woken_ || !queue_.empty(); });
  woken_ = false;
  if (overflowed_) {
    return Fail(Code::kResourceExhausted,
                "container events: this subscriber fell behind by {} events; events were dropped",
                capacity_);
  }
  if (queue_.empty()) {
    return std::optional<Event>();
  }
  Event event = std::move(queue_.front());
  queue_.pop_front();
  return std::optional<Event>(std::move(event));
}

void EventBroadcaster::Subscription::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

}  // namespace capstan::cri::runtime

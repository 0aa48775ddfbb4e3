#pragma once
// EventBroadcaster: fans the runtime's container events out to every GetContainerEvents
// stream. Publishing never waits for a subscriber: each has a bounded queue, and one that
// falls behind loses its queue and is told so (Next fails with ResourceExhausted), so its
// stream ends with an error and the client relists, rather than the runtime blocking or
// memory growing. (containerd's event queue drops and closes in the same way.)
//
// Thread-safe. The broadcaster must outlive its subscriptions.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "api/cri/runtime/v1/api.pb.h"
#include "common/error.h"

namespace capstan::cri::runtime {

class EventBroadcaster {
 public:
  using Event = ::runtime::v1::ContainerEventResponse;

  class Subscription {
   public:
    ~Subscription();
    // The next event, or nullopt when `timeout` passed without one (or Wake was called).
    // ResourceExhausted once the subscriber fell behind and events were dropped.
    Result<std::optional<Event>> Next(std::chrono::milliseconds timeout);
    // Ends a Next that is waiting (for a cancellation).
    void Wake();

   private:
    friend class EventBroadcaster;
    Subscription(EventBroadcaster* owner, size_t capacity) : owner_(owner), capacity_(capacity) {}

    EventBroadcaster* owner_;
    size_t capacity_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> queue_;
    bool overflowed_ = false;
    bool woken_ = false;
  };

  // `capacity`: events a subscriber may have waiting before it counts as too slow.
  explicit EventBroadcaster(size_t capacity = 1000) : capacity_(capacity) {}
  ~EventBroadcaster();

  std::unique_ptr<Subscription> Subscribe();
  void Publish(const Event& event);
  // Cheap: lets the runtime skip building events nobody listens to.
  bool HasSubscribers() const;
  // Events dropped because a subscriber fell behind (for logs and tests).
  size_t Dropped() const;

 private:
  void Unsubscribe(Subscription* s);

  size_t capacity_;
  mutable std::mutex mu_;
  std::set<Subscription*> subscribers_;
  size_t dropped_ = 0;
};

}  // namespace capstan::cri::runtime

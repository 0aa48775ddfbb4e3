// The runtime's container-event fan-out: every subscriber gets every event in order, a slow
// one is dropped (its stream ends with ResourceExhausted) without holding anyone up.
#include "cri/runtime/event_broadcaster.h"

#include <gtest/gtest.h>

#include <thread>

namespace capstan::cri::runtime {
namespace {

using std::chrono::milliseconds;

EventBroadcaster::Event Ev(const std::string& id, ::runtime::v1::ContainerEventType type) {
  EventBroadcaster::Event e;
  e.set_container_id(id);
  e.set_container_event_type(type);
  return e;
}

std::string NextId(EventBroadcaster::Subscription& s) {
  auto ev = s.Next(milliseconds(0));
  if (!ev) {
    return "error: " + ev.error().ToString();
  }
  return *ev ? (*ev)->container_id() : "none";
}

TEST(EventBroadcasterTest, EverySubscriberGetsEveryEventInOrder) {
  EventBroadcaster b;
  EXPECT_FALSE(b.HasSubscribers());
  b.Publish(Ev("before", ::runtime::v1::CONTAINER_CREATED_EVENT));  // nobody listens: gone
  auto s1 = b.Subscribe();
  auto s2 = b.Subscribe();
  EXPECT_TRUE(b.HasSubscribers());
  b.Publish(Ev("a", ::runtime::v1::CONTAINER_CREATED_EVENT));
  b.Publish(Ev("a", ::runtime::v1::CONTAINER_STARTED_EVENT));
  b.Publish(Ev("b", ::runtime::v1::CONTAINER_STOPPED_EVENT));
  for (auto* s : {s1.get(), s2.get()}) {
    auto first = s->Next(milliseconds(0));
    ASSERT_TRUE(first && *first);
    EXPECT_EQ((*first)->container_event_type(), ::runtime::v1::CONTAINER_CREATED_EVENT);
    EXPECT_EQ(NextId(*s), "a");
    EXPECT_EQ(NextId(*s), "b");
    EXPECT_EQ(NextId(*s), "none");
  }
  s1.reset();
  s2.reset();
  EXPECT_FALSE(b.HasSubscribers());
}

TEST(EventBroadcasterTest, ASlowSubscriberIsDroppedAndTheOthersCarryOn) {
  EventBroadcaster b(/*capacity=*/2);
  auto slow = b.Subscribe();
  auto fast = b.Subscribe();
  for (const char* id : {"1", "2", "3", "4"}) {
    b.Publish(Ev(id, ::runtime::v1::CONTAINER_STARTED_EVENT));  // never blocks
    EXPECT_EQ(NextId(*fast), id);
  }
  auto ev = slow->Next(milliseconds(0));
  ASSERT_FALSE(ev);
  EXPECT_EQ(ev.error().code(), Code::kResourceExhausted);
  // It stays failed: its client must relist and subscribe again.
  EXPECT_FALSE(slow->Next(milliseconds(0)));
  EXPECT_EQ(b.Dropped(), 4u);  // two queued, the one that overflowed, one more after
  auto again = b.Subscribe();
  b.Publish(Ev("5", ::runtime::v1::CONTAINER_STARTED_EVENT));
  EXPECT_EQ(NextId(*again), "5");
}

TEST(EventBroadcasterTest, NextWaitsForAnEventOrAWake) {
  EventBroadcaster b;
  auto s = b.Subscribe();
  std::thread publisher([&] { b.Publish(Ev("late", ::runtime::v1::CONTAINER_STARTED_EVENT)); });
  auto ev = s->Next(std::chrono::seconds(10));
  publisher.join();
  ASSERT_TRUE(ev && *ev);
  EXPECT_EQ((*ev)->container_id(), "late");

  std::thread waker([&] { s->Wake(); });
  auto start = std::chrono::steady_clock::now();
  ev = s->Next(std::chrono::seconds(10));
  waker.join();
  ASSERT_TRUE(ev);
  EXPECT_FALSE(*ev);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace capstan::cri::runtime

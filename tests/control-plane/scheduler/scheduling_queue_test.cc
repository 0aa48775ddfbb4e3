// SchedulingQueue: priority order, back-off, unschedulable pods waiting for a change.
#include "control-plane/scheduler/scheduling_queue.h"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.h"

namespace capstan::control_plane::scheduler {
namespace {

using Outcome = SchedulingQueue::Outcome;
using std::chrono::seconds;

TEST(SchedulingQueueTest, HigherPriorityFirstThenOlder) {
  testing::FakeClock clock;
  SchedulingQueue q(&clock);
  WallTime t0 = clock.Now();
  q.Add("ns/late", 0, t0 + seconds(2));
  q.Add("ns/early", 0, t0);
  q.Add("ns/important", 1000, t0 + seconds(5));
  q.Add("ns/early", 0, t0);  // again: queued once
  EXPECT_EQ(q.TryPop(), "ns/important");
  EXPECT_EQ(q.TryPop(), "ns/early");
  EXPECT_EQ(q.TryPop(), "ns/late");
  EXPECT_EQ(q.TryPop(), std::nullopt);
}

TEST(SchedulingQueueTest, UnschedulablePodsWaitForAClusterChange) {
  testing::FakeClock clock;
  SchedulingQueue q(&clock);
  q.Add("ns/p", 0, clock.Now());
  ASSERT_EQ(q.TryPop(), "ns/p");
  q.Done("ns/p", Outcome::kUnschedulable);
  EXPECT_EQ(q.UnschedulableCount(), 1u);
  clock.Advance(seconds(60));
  EXPECT_EQ(q.TryPop(), std::nullopt);  // time alone does not bring it back (before 5 min)
  q.MoveAllToActiveOrBackoff();         // e.g. a node was labelled
  EXPECT_EQ(q.TryPop(), "ns/p");
  q.Done("ns/p", Outcome::kUnschedulable);
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(q.TryPop(), "ns/p");  // ... or five minutes pass
  q.Done("ns/p", Outcome::kScheduled);
  EXPECT_EQ(q.TryPop(), std::nullopt);
}

TEST(SchedulingQueueTest, ErrorsBackOffAndAChangeDuringAnAttemptIsNotLost) {
  testing::FakeClock clock;
  SchedulingQueue q(&clock);
  q.Add("ns/p", 0, clock.Now());
  ASSERT_EQ(q.TryPop(), "ns/p");
  q.Done("ns/p", Outcome::kError);  // 1st failure: 1 s
  EXPECT_EQ(q.BackoffCount(), 1u);
  EXPECT_EQ(q.TryPop(), std::nullopt);
  clock.Advance(seconds(1));
  ASSERT_EQ(q.TryPop(), "ns/p");
  q.Done("ns/p", Outcome::kError);  // 2nd: 2 s
  clock.Advance(seconds(1));
  EXPECT_EQ(q.TryPop(), std::nullopt);
  clock.Advance(seconds(1));
  ASSERT_EQ(q.TryPop(), "ns/p");
  // The cluster changed while this attempt ran: back-off, not unschedulable.
  q.MoveAllToActiveOrBackoff();
  q.Done("ns/p", Outcome::kUnschedulable);
  EXPECT_EQ(q.UnschedulableCount(), 0u);
  EXPECT_EQ(q.BackoffCount(), 1u);
  clock.Advance(seconds(10));
  ASSERT_EQ(q.TryPop(), "ns/p");
  q.Delete("ns/p");  // deleted while being tried: forgotten at Done
  q.Done("ns/p", Outcome::kError);
  clock.Advance(seconds(60));
  EXPECT_EQ(q.TryPop(), std::nullopt);
  EXPECT_EQ(q.BackoffCount(), 0u);
}

}  // namespace
}  // namespace capstan::control_plane::scheduler

// WorkQueue: de-duplication, one worker per key, delays and back-off on a fake clock.
#include "api/k8s/client/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/testing/fake_clock.h"

namespace capstan::api::k8s::client {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueueTest, AKeyIsQueuedOnceAndNeverToTwoWorkers) {
  testing::FakeClock clock;
  WorkQueue q(&clock);
  q.Add("ns/a");
  q.Add("ns/b");
  q.Add("ns/a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.TryGet(), "ns/a");
  q.Add("ns/a");  // changed while being synced: not handed out again yet
  EXPECT_EQ(q.TryGet(), "ns/b");
  EXPECT_EQ(q.TryGet(), std::nullopt);
  q.Done("ns/a");  // ... but queued again when that sync ends
  EXPECT_EQ(q.TryGet(), "ns/a");
  q.Done("ns/a");
  q.Done("ns/b");
  EXPECT_EQ(q.TryGet(), std::nullopt);
}

TEST(WorkQueueTest, DelaysAndBackOffFollowTheClock) {
  testing::FakeClock clock;
  WorkQueue q(&clock, milliseconds(5), milliseconds(100));
  q.AddAfter("k", milliseconds(50));
  EXPECT_EQ(q.TryGet(), std::nullopt);
  clock.Advance(milliseconds(49));
  EXPECT_EQ(q.TryGet(), std::nullopt);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.TryGet(), "k");
  q.Done("k");

  // 5, 10, 20, 40, 80, then capped at 100 ms.
  for (int64_t want : {5, 10, 20, 40, 80, 100, 100}) {
    q.AddRateLimited("k");
    clock.Advance(milliseconds(want - 1));
    EXPECT_EQ(q.TryGet(), std::nullopt) << want;
    clock.Advance(milliseconds(1));
    EXPECT_EQ(q.TryGet(), "k") << want;
    q.Done("k");
  }
  EXPECT_EQ(q.NumRequeues("k"), 7);
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
  q.AddRateLimited("k");
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.TryGet(), "k");
}

TEST(WorkQueueTest, GetWaitsForWorkAndShutDownWakesIt) {
  testing::FakeClock clock;
  WorkQueue q(&clock);
  std::optional<std::string> got;
  std::thread worker([&] { got = q.Get(); });
  q.Add("x");
  worker.join();
  EXPECT_EQ(got, "x");
  std::thread waiting([&] { got = q.Get(); });
  q.ShutDown();
  waiting.join();
  EXPECT_EQ(got, std::nullopt);
  q.Add("y");
  EXPECT_EQ(q.Len(), 0u);
}

}  // namespace
}  // namespace capstan::api::k8s::client

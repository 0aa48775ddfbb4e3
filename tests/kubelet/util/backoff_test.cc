#include "kubelet/util/backoff.h"

#include <gtest/gtest.h>

#include "kubelet/testing/fake_clock.h"
#include "kubelet/util/executor.h"

namespace capstan::kubelet::util {
namespace {

using std::chrono::seconds;

TEST(BackoffTest, DoublesToTheMaximumAndExpires) {
  testing::FakeClock clock;
  Backoff b(&clock, seconds(10), seconds(300));
  EXPECT_FALSE(b.IsInBackOffSince("k", clock.Now()));
  b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), seconds(10));
  WallTime failed = clock.Now();
  EXPECT_TRUE(b.IsInBackOffSince("k", failed));
  clock.Advance(seconds(9));
  EXPECT_TRUE(b.IsInBackOffSince("k", failed));
  clock.Advance(seconds(1));
  EXPECT_FALSE(b.IsInBackOffSince("k", failed));
  for (int i = 0; i < 10; ++i) {
    b.Next("k", clock.Now());
  }
  EXPECT_EQ(b.Get("k"), seconds(300));
  // Quiet for twice the maximum: start over.
  clock.Advance(seconds(601));
  b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), seconds(10));
  clock.Advance(seconds(601));
  b.GC();
  EXPECT_EQ(b.Get("k"), seconds(0));
  EXPECT_EQ(b.Get("other"), seconds(0));
}

TEST(ExecutorTest, ManualRunsWhatIsQueuedIncludingFollowUps) {
  ManualExecutor ex;
  int n = 0;
  ex.Post([&] {
    ++n;
    ex.Post([&] { ++n; });
  });
  EXPECT_EQ(n, 0);
  EXPECT_EQ(ex.RunAll(), 2);
  EXPECT_EQ(n, 2);
  ThreadPoolExecutor pool(2);
  std::atomic<int> m{0};
  for (int i = 0; i < 50; ++i) {
    pool.Post([&] { ++m; });
  }
  // The destructor finishes queued work.
  {
    ThreadPoolExecutor scoped(1);
    scoped.Post([&] { m += 100; });
  }
  EXPECT_GE(m.load(), 100);
}

}  // namespace
}  // namespace capstan::kubelet::util

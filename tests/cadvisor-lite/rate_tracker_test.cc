#include "cadvisor-lite/rate_tracker.h"

#include <gtest/gtest.h>

#include "common/testing/fake_clock.h"

namespace capstan::cadvisor {
namespace {

using std::chrono::seconds;

TEST(RateTracker, OneCoreBusyIsOneBillionNanocores) {
  testing::FakeClock clock;
  RateTracker rates(&clock);
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 5'000'000'000), std::nullopt);
  clock.Advance(seconds(10));
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 15'000'000'000), 1'000'000'000u);
  clock.Advance(seconds(10));
  // Half a core over the next window.
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 20'000'000'000), 500'000'000u);
}

TEST(RateTracker, SamplesCloserThanTheMinimumKeepTheLastWindow) {
  testing::FakeClock clock;
  RateTracker rates(&clock, {.min_interval = seconds(5), .forget_after = seconds(300)});
  rates.Observe("c1", clock.Now(), 0);
  clock.Advance(seconds(10));
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 2'000'000'000), 200'000'000u);
  clock.Advance(seconds(1));
  // Too close to the last sample: the answer is still the 10 s window's.
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 3'000'000'000), 200'000'000u);
}

TEST(RateTracker, ACounterThatWentBackwardsRestarts) {
  testing::FakeClock clock;
  RateTracker rates(&clock);
  rates.Observe("c1", clock.Now(), 9'000'000'000);
  clock.Advance(seconds(10));
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 1'000'000'000), std::nullopt);
  clock.Advance(seconds(10));
  EXPECT_EQ(rates.Observe("c1", clock.Now(), 2'000'000'000), 100'000'000u);
}

TEST(RateTracker, ForgetsKeysNobodyObserved) {
  testing::FakeClock clock;
  RateTracker rates(&clock, {.min_interval = seconds(1), .forget_after = seconds(300)});
  rates.Observe("gone", clock.Now(), 1);
  clock.Advance(seconds(200));
  rates.Observe("alive", clock.Now(), 1);
  clock.Advance(seconds(200));
  rates.Prune();
  EXPECT_EQ(rates.size(), 1u);
  // The survivor's samples are intact.
  EXPECT_EQ(rates.Observe("alive", clock.Now(), 200'000'000'001), 1'000'000'000u);
}

}  // namespace
}  // namespace capstan::cadvisor

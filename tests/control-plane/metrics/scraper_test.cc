#include "control-plane/metrics/scraper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/testing/fake_clock.h"

namespace capstan::control_plane::metrics {
namespace {

TEST(Scraper, StoresWhatEachKubeletAnswersAndSkipsFailures) {
  testing::FakeClock clock;
  MetricsStore store;
  std::atomic<int> fetches{0};
  std::string answer = "node_cpu_usage_seconds_total 10\nnode_memory_working_set_bytes 100\n";
  Scraper scraper(
      [] {
        return std::vector<ScrapeTarget>{{"n1", "127.0.0.1", 10250}, {"down", "127.0.0.2", 1}};
      },
      [&](const ScrapeTarget& t) -> Result<std::string> {
        ++fetches;
        if (t.node == "down") return Fail(Code::kUnavailable, "connection refused");
        return answer;
      },
      &store, &clock);
  scraper.ScrapeOnce();
  clock.Advance(std::chrono::seconds(15));
  answer = "node_cpu_usage_seconds_total 25\nnode_memory_working_set_bytes 200\n";
  scraper.ScrapeOnce();
  EXPECT_EQ(fetches, 4);
  auto u = store.NodeUsage("n1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->nano_cores, 1'000'000'000u);
  EXPECT_EQ(u->memory_bytes, 200u);
  EXPECT_FALSE(store.NodeUsage("down"));
}

TEST(Scraper, ANodeThatStopsAnsweringLosesItsMetrics) {
  testing::FakeClock clock;
  MetricsStore store;
  bool up = true;
  Scraper scraper(
      [] {
        return std::vector<ScrapeTarget>{{"n1", "127.0.0.1", 10250}};
      },
      [&](const ScrapeTarget&) -> Result<std::string> {
        if (!up) return Fail(Code::kUnavailable, "timed out");
        return std::string(
            "node_cpu_usage_seconds_total 10\n"
            "node_memory_working_set_bytes 100\n");
      },
      &store, &clock);
  scraper.ScrapeOnce();
  clock.Advance(std::chrono::seconds(15));
  scraper.ScrapeOnce();
  ASSERT_TRUE(store.NodeUsage("n1"));
  up = false;
  scraper.ScrapeOnce();
  EXPECT_FALSE(store.NodeUsage("n1"));  // not its last figures served as current
}

TEST(Scraper, StartAndStopPromptly) {
  testing::FakeClock clock;
  MetricsStore store;
  std::atomic<int> rounds{0};
  Scraper scraper(
      [&] {
        ++rounds;
        return std::vector<ScrapeTarget>{};
      },
      [](const ScrapeTarget&) -> Result<std::string> { return std::string(); }, &store, &clock,
      std::chrono::hours(1));
  scraper.Start();
  while (rounds == 0) std::this_thread::yield();
  scraper.Stop();  // does not wait for the hour
  EXPECT_EQ(rounds, 1);
}

}  // namespace
}  // namespace capstan::control_plane::metrics

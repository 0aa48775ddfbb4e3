#include "control-plane/metrics/metrics_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace capstan::control_plane::metrics {
namespace {

using std::chrono::seconds;

const WallTime kT0 = FromUnixNanos(1'767'225'600'000'000'000);

std::string Text(WallTime at, double node_cpu, double app_cpu, WallTime app_start) {
  int64_t ms = UnixNanos(at) / 1'000'000;
  std::string labels = "container=\"app\",namespace=\"default\",pod=\"web\"";
  return fmt::format(
      "node_cpu_usage_seconds_total {} {}\nnode_memory_working_set_bytes 1048576 {}\n"
      "container_cpu_usage_seconds_total{{{}}} {} {}\n"
      "container_memory_working_set_bytes{{{}}} 104857600 {}\n"
      "container_start_time_seconds{{{}}} {} {}\n",
      node_cpu, ms, ms, labels, app_cpu, ms, labels, ms, labels,
      static_cast<double>(UnixNanos(app_start)) / 1e9, ms);
}

NodeScrape Scrape(WallTime at, double node_cpu, double app_cpu, WallTime app_start) {
  return ScrapeFromSamples(ParsePrometheusText(Text(at, node_cpu, app_cpu, app_start)), at);
}

TEST(MetricsStore, NodeCpuIsTheRateBetweenTwoScrapes) {
  MetricsStore store;
  WallTime old_start = kT0 - std::chrono::hours(1);
  store.Store("n1", Scrape(kT0, 100, 50, old_start));
  EXPECT_FALSE(store.NodeUsage("n1"));  // one scrape: no rate yet
  store.Store("n1", Scrape(kT0 + seconds(15), 115, 65, old_start));
  auto u = store.NodeUsage("n1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->nano_cores, 1'000'000'000u);
  EXPECT_EQ(u->memory_bytes, 1048576u);
  EXPECT_EQ(u->window, seconds(15));
  EXPECT_EQ(u->timestamp, kT0 + seconds(15));

  auto pods = store.PodUsages("");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].namespace_, "default");
  EXPECT_EQ(pods[0].name, "web");
  ASSERT_EQ(pods[0].containers.size(), 1u);
  EXPECT_EQ(pods[0].containers[0].second.nano_cores, 1'000'000'000u);
  EXPECT_EQ(pods[0].containers[0].second.memory_bytes, 104857600u);
  EXPECT_TRUE(store.PodUsages("kube-system").empty());
}

TEST(MetricsStore, ANewContainerIsMeasuredFromItsStart) {
  MetricsStore store;
  // Started 10 s before the first scrape, busy half a core since.
  store.Store("n1", Scrape(kT0, 100, 5, kT0 - seconds(10)));
  auto pods = store.PodUsages("default");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].containers[0].second.nano_cores, 500'000'000u);
  EXPECT_EQ(pods[0].window, seconds(10));
}

TEST(MetricsStore, AnOldContainerSeenOnceHasNoUsageYet) {
  MetricsStore store;
  store.Store("n1", Scrape(kT0, 100, 5000, kT0 - std::chrono::hours(5)));
  EXPECT_TRUE(store.PodUsages("").empty());
}

TEST(MetricsStore, ARestartedContainerCountsFromItsNewStart) {
  MetricsStore store;
  store.Store("n1", Scrape(kT0, 100, 500, kT0 - std::chrono::hours(1)));
  // Restarted 5 s before the next scrape; its counter began again at 0.
  store.Store("n1", Scrape(kT0 + seconds(15), 115, 1, kT0 + seconds(10)));
  auto pods = store.PodUsages("");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].containers[0].second.nano_cores, 200'000'000u);
}

TEST(MetricsStore, RetainForgetsNodesThatAreGone) {
  MetricsStore store;
  store.Store("n1", Scrape(kT0, 100, 5, kT0 - seconds(10)));
  store.Store("n1", Scrape(kT0 + seconds(15), 115, 10, kT0 - seconds(10)));
  ASSERT_TRUE(store.NodeUsage("n1"));
  store.Retain({"n1"});
  EXPECT_TRUE(store.NodeUsage("n1"));
  store.Retain({"n2"});
  EXPECT_TRUE(store.PodUsages("").empty());
  EXPECT_FALSE(store.NodeUsage("n1"));
}

TEST(MetricsStore, TheSameAnswerTwiceKeepsTheWindow) {
  MetricsStore store;
  WallTime old_start = kT0 - std::chrono::hours(1);
  store.Store("n1", Scrape(kT0, 100, 50, old_start));
  store.Store("n1", Scrape(kT0 + seconds(15), 115, 65, old_start));
  store.Store("n1", Scrape(kT0 + seconds(15), 115, 65, old_start));  // a cached answer
  auto u = store.NodeUsage("n1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->window, seconds(15));
  EXPECT_EQ(store.PodUsages("").size(), 1u);
}

TEST(ScrapeFromSamples, DropsValuesThatWouldOverflow) {
  std::string text =
      "node_cpu_usage_seconds_total 1e19 1767225600000\n"
      "container_cpu_usage_seconds_total{container=\"a\",namespace=\"d\",pod=\"p\"} 1 "
      "99999999999999999\n"
      "container_start_time_seconds{container=\"a\",namespace=\"d\",pod=\"p\"} 1e300\n";
  auto scrape = ScrapeFromSamples(ParsePrometheusText(text), kT0);
  ASSERT_TRUE(scrape.node);
  EXPECT_FALSE(scrape.node->cpu_ns);
  const Point& a = scrape.pods["d/p"]["a"];
  EXPECT_EQ(a.at, kT0);  // the timestamp out of range: the scrape's own time
  EXPECT_EQ(a.cpu_ns, 1'000'000'000u);
  EXPECT_FALSE(a.started);
}

TEST(UsageBetween, NeedsCpuAndMemoryAndTimeMovingForward) {
  Point prev{kT0, 10'000'000'000, 1, std::nullopt};
  Point cur{kT0 + seconds(10), 20'000'000'000, 1, std::nullopt};
  EXPECT_EQ(UsageBetween(&prev, cur)->nano_cores, 1'000'000'000u);
  Point no_memory = cur;
  no_memory.memory_bytes.reset();
  EXPECT_FALSE(UsageBetween(&prev, no_memory));
  EXPECT_FALSE(UsageBetween(&cur, prev));  // backwards
}

}  // namespace
}  // namespace capstan::control_plane::metrics

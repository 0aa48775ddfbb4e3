#include "control-plane/metrics/prometheus_text.h"

#include <gtest/gtest.h>

namespace capstan::control_plane::metrics {
namespace {

TEST(ParsePrometheusText, ReadsNamesLabelsValuesAndTimestamps) {
  auto samples = ParsePrometheusText(
      "# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time\n"
      "# TYPE container_cpu_usage_seconds_total counter\n"
      "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\",pod=\"web\"} "
      "12.5 1767225600000\n"
      "node_memory_working_set_bytes 4.194304e+06 1767225600001\n"
      "resource_scrape_error 0\n");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].name, "container_cpu_usage_seconds_total");
  EXPECT_EQ(samples[0].Label("pod"), "web");
  EXPECT_EQ(samples[0].Label("container"), "app");
  EXPECT_DOUBLE_EQ(samples[0].value, 12.5);
  EXPECT_EQ(samples[0].timestamp_ms, 1767225600000);
  EXPECT_DOUBLE_EQ(samples[1].value, 4194304);
  EXPECT_EQ(samples[2].timestamp_ms, std::nullopt);
}

TEST(ParsePrometheusText, UnescapesLabelValues) {
  auto samples = ParsePrometheusText("m{a=\"x\\\"y\\\\z\\n\", b=\"\"} 1\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].Label("a"), "x\"y\\z\n");
  EXPECT_EQ(samples[0].Label("b"), "");
}

TEST(ParsePrometheusText, SkipsMalformedLinesAndKeepsTheRest) {
  auto samples = ParsePrometheusText(
      "{no_name=\"x\"} 1\n"
      "unterminated{a=\"x} 1\n"
      "no_value{a=\"x\"}\n"
      "bad_value abc\n"
      "bad_timestamp 1 12x\n"
      "9starts_with_digit 1\n"
      "good 2\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "good");
}

}  // namespace
}  // namespace capstan::control_plane::metrics

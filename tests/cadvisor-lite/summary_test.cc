#include "cadvisor-lite/summary.h"
#include "cadvisor-lite/metrics_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::cadvisor {
namespace {

using ::testing::HasSubstr;

Summary Sample() {
  WallTime t = FromUnixNanos(1'767'225'600'000'000'000);  // 2026-01-01T00:00:00Z
  Summary s;
  s.node.node_name = "n1";
  s.node.start_time = t;
  s.node.cpu = CpuStats{t, 250'000'000, 90'000'000'000};
  s.node.memory = MemoryStats{t, 1000, 5000, 4000, 3000, std::nullopt, std::nullopt};
  PodStats p;
  p.name = "web";
  p.namespace_ = "default";
  p.uid = "u1";
  p.start_time = t;
  p.cpu = CpuStats{t, 1'000'000'000, 30'500'000'000};
  p.memory = MemoryStats{t, std::nullopt, 110, 100, 90, 1, 0};
  p.network = NetworkStats{t, {{"eth0", 10, 1, 20, 2}, {"lo", 1, 0, 1, 0}}};
  ContainerStats c;
  c.name = "app";
  c.start_time = t;
  c.cpu = CpuStats{t, 1'000'000'000, 30'000'000'000};
  c.memory = MemoryStats{t, std::nullopt, 105, 100, 90, std::nullopt, std::nullopt};
  p.containers.push_back(c);
  p.process_count = 3;
  s.pods.push_back(p);
  return s;
}

TEST(SummaryToJson, HasUpstreamFieldNames) {
  auto j = SummaryToJson(Sample());
  EXPECT_EQ(j["node"]["nodeName"], "n1");
  EXPECT_EQ(j["node"]["cpu"]["usageNanoCores"], 250'000'000);
  EXPECT_EQ(j["node"]["memory"]["availableBytes"], 1000);
  EXPECT_EQ(j["node"]["memory"]["time"], "2026-01-01T00:00:00Z");
  EXPECT_FALSE(j["node"]["memory"].contains("pageFaults"));  // unset: omitted
  const auto& pod = j["pods"][0];
  EXPECT_EQ(pod["podRef"]["namespace"], "default");
  EXPECT_EQ(pod["containers"][0]["cpu"]["usageCoreNanoSeconds"], 30'000'000'000);
  EXPECT_EQ(pod["process_stats"]["process_count"], 3);
  // The default interface's counters are inline.
  EXPECT_EQ(pod["network"]["name"], "eth0");
  EXPECT_EQ(pod["network"]["rxBytes"], 10);
  EXPECT_EQ(pod["network"]["interfaces"].size(), 2u);
}

TEST(ResourceMetricsText, CarriesTheSeriesMetricsServerScrapes) {
  std::string text = ResourceMetricsText(Sample(), false);
  EXPECT_THAT(text, HasSubstr("# TYPE container_cpu_usage_seconds_total counter\n"));
  EXPECT_THAT(text, HasSubstr("container_cpu_usage_seconds_total{container=\"app\",namespace="
                              "\"default\",pod=\"web\"} 30.000000000 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("container_memory_working_set_bytes{container=\"app\",namespace="
                              "\"default\",pod=\"web\"} 100 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("node_cpu_usage_seconds_total 90.000000000 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("node_memory_working_set_bytes 4000 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} "
                              "30.500000000"));
  EXPECT_THAT(text, HasSubstr("resource_scrape_error 0\n"));
  EXPECT_THAT(ResourceMetricsText(Sample(), true), HasSubstr("resource_scrape_error 1\n"));
}

TEST(ResourceMetricsText, EscapesLabelValues) {
  Summary s = Sample();
  s.pods[0].containers[0].name = "a\"b\\c";
  EXPECT_THAT(ResourceMetricsText(s, false), HasSubstr("container=\"a\\\"b\\\\c\""));
}

TEST(CadvisorMetricsText, NamesAndLabelsAsCadvisor) {
  std::string text = CadvisorMetricsText(Sample());
  const std::string app = "{container=\"app\",namespace=\"default\",pod=\"web\"";
  EXPECT_THAT(text, HasSubstr("container_cpu_usage_seconds_total" + app +
                              "} 30.000000000 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("container_cpu_usage_seconds_total{container=\"\",id=\"/\","
                              "namespace=\"\",pod=\"\"} 90.000000000 1767225600000\n"));
  EXPECT_THAT(text, HasSubstr("container_memory_usage_bytes" + app + "} 105 "));
  EXPECT_THAT(text, HasSubstr("container_memory_rss" + app + "} 90 "));
  EXPECT_THAT(text, HasSubstr("container_network_receive_bytes_total{container=\"\",namespace="
                              "\"default\",pod=\"web\",interface=\"eth0\"} 10 "));
  EXPECT_THAT(text, HasSubstr("container_network_transmit_errors_total{container=\"\","
                              "namespace=\"default\",pod=\"web\",interface=\"eth0\"} 2 "));
  EXPECT_THAT(text, HasSubstr("container_start_time_seconds" + app + "} 1767225600\n"));
  EXPECT_THAT(text, HasSubstr("machine_memory_bytes 5000\n"));  // working set + available
  EXPECT_THAT(text, ::testing::Not(HasSubstr("pgfault")));      // the sample has none
}

}  // namespace
}  // namespace capstan::cadvisor

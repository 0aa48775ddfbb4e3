#pragma once
// A parser for the Prometheus text exposition format (0.0.4), enough for what kubelets serve
// on /metrics/resource: comments, `name{label="value",...} value [timestamp_ms]` lines.
// Scraped text is hostile input: malformed lines are skipped, never fatal.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::control_plane::metrics {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;

  std::string Label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? "" : it->second;
  }
};

std::vector<Sample> ParsePrometheusText(std::string_view text);

}  // namespace capstan::control_plane::metrics

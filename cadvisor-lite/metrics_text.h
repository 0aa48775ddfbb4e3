#pragma once
// The stats Summary as the Prometheus text format (0.0.4) the kubelet serves:
//   /metrics/resource: what metrics-server and capstan-server scrape for kubectl top;
//   /metrics/cadvisor: cAdvisor's container_* and machine_* series, for Prometheus.

#include <string>
#include <string_view>

#include "cadvisor-lite/summary.h"

namespace capstan::cadvisor {

// The node's, pods' and containers' cumulative CPU seconds and working set, container
// start times, and resource_scrape_error (1 when `scrape_error`, the stats were incomplete).
std::string ResourceMetricsText(const Summary& summary, bool scrape_error);

// cAdvisor's names and labels (container, namespace, pod, and id "/" for the node's root
// cgroup): CPU seconds, memory usage/working set/rss/page faults, the writable layer's
// bytes, pod network counters per interface, container start times, and the machine's
// memory capacity.
std::string CadvisorMetricsText(const Summary& summary);

// A label value as the text format writes it: backslash, quote and newline escaped.
std::string PrometheusLabelValue(std::string_view v);

}  // namespace capstan::cadvisor

#pragma once
// MetricsStore: what metrics.k8s.io serves, as metrics-server keeps it. Each node's last two
// scrapes of /metrics/resource; CPU is the rate of the cumulative counter between them,
// memory the last working set. A container first seen shortly after it started is measured
// from its start (its counter began at zero then), so a new pod shows up after one scrape
// rather than two. Thread-safe: the scraper writes while API requests read.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "control-plane/metrics/prometheus_text.h"

namespace capstan::control_plane::metrics {

struct Point {
  WallTime at;
  std::optional<uint64_t> cpu_ns;  // cumulative
  std::optional<uint64_t> memory_bytes;
  std::optional<WallTime> started;  // containers: this instance's start
};

struct NodeScrape {
  std::optional<Point> node;
  // "namespace/pod" -> container name -> point
  std::map<std::string, std::map<std::string, Point>> pods;
};

// The resource series of one /metrics/resource answer; points without a timestamp get
// `scraped_at`.
NodeScrape ScrapeFromSamples(const std::vector<Sample>& samples, WallTime scraped_at);

struct Usage {
  WallTime timestamp;
  std::chrono::nanoseconds window{0};
  uint64_t nano_cores = 0;
  uint64_t memory_bytes = 0;
};

struct PodUsage {
  std::string namespace_, name;
  WallTime timestamp;
  std::chrono::nanoseconds window{0};
  std::vector<std::pair<std::string, Usage>> containers;  // by container name
};

class MetricsStore {
 public:
  void Store(const std::string& node, NodeScrape scrape);
  // Forgets the nodes not in `nodes` (deleted, or no longer scraped).
  void Retain(const std::set<std::string>& nodes);

  std::optional<Usage> NodeUsage(const std::string& node) const;
  // Pods every container of which has a usage; `ns` "" for all namespaces.
  std::vector<PodUsage> PodUsages(const std::string& ns) const;

 private:
  struct Entry {
    std::optional<NodeScrape> previous;
    NodeScrape current;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> nodes_;
};

// CPU over the window from `previous` (or from the container's start, see above) to
// `current`. Exposed for tests.
std::optional<Usage> UsageBetween(const Point* previous, const Point& current);

}  // namespace capstan::control_plane::metrics

#pragma once
// Scraper: every interval (15 s, as metrics-server), GET /metrics/resource from each node's
// kubelet and keep the result in the MetricsStore. Which nodes and how to reach them are
// injected (the API server lists Nodes; tests give fixed answers).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/time.h"
#include "control-plane/metrics/metrics_store.h"

namespace capstan::control_plane::metrics {

struct ScrapeTarget {
  std::string node;
  std::string host;
  int port = 10250;
};

using TargetsFunc = std::function<std::vector<ScrapeTarget>()>;
// The body of the kubelet's /metrics/resource.
using FetchFunc = std::function<Result<std::string>(const ScrapeTarget&)>;

class Scraper {
 public:
  Scraper(TargetsFunc targets, FetchFunc fetch, MetricsStore* store, const Clock* clock,
          std::chrono::milliseconds interval = std::chrono::seconds(15));
  ~Scraper();

  void Start();
  void Stop();
  // One round over every target (what the loop does each interval).
  void ScrapeOnce();

 private:
  void Loop();
  bool Stopping();

  TargetsFunc targets_;
  FetchFunc fetch_;
  MetricsStore* store_;
  const Clock* clock_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace capstan::control_plane::metrics

#include "control-plane/metrics/scraper.h"

#include <algorithm>
#include <atomic>
#include <set>

#include "common/log.h"

namespace capstan::control_plane::metrics {

namespace {
const log::Logger kLog("metrics-scraper");
constexpr size_t kMaxBody = 64 << 20;  // a kubelet with thousands of containers stays far below
constexpr size_t kParallelScrapes = 8;
}  // namespace

Scraper::Scraper(TargetsFunc targets, FetchFunc fetch, MetricsStore* store, const Clock* clock,
                 std::chrono::milliseconds interval)
    : targets_(std::move(targets)),
      fetch_(std::move(fetch)),
      store_(store),
      clock_(clock),
      interval_(interval) {}

Scraper::~Scraper() { Stop(); }

void Scraper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Scraper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scraper::ScrapeOnce() {
  // Kubelets are asked in parallel, a few at a time, so one slow node (its fetch times out)
  // does not delay the rest by its timeout.
  auto targets = targets_();
  std::mutex seen_mu;
  std::set<std::string> seen;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < targets.size();) {
      if (Stopping()) return;
      const auto& target = targets[i];
      auto body = fetch_(target);
      if (!body) {
        kLog.Debug("scraping a kubelet",
                   {{"node", target.node}, {"error", body.error().message()}});
        continue;
      }
      if (body->size() > kMaxBody) {
        kLog.Warn("a kubelet's metrics are too large", {{"node", target.node}});
        continue;
      }
      store_->Store(target.node, ScrapeFromSamples(ParsePrometheusText(*body), clock_->Now()));
      std::lock_guard lock(seen_mu);
      seen.insert(target.node);
    }
  };
  std::vector<std::thread> workers;
  size_t n = std::min(kParallelScrapes, targets.size());
  for (size_t i = 1; i < n; ++i) workers.emplace_back(worker);
  worker();
  for (auto& t : workers) t.join();
  // As metrics-server: a node whose scrape failed has no metrics until one succeeds again,
  // rather than its last figures served as current.
  store_->Retain(seen);
}

bool Scraper::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Scraper::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ScrapeOnce();
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace capstan::control_plane::metrics

#include "control-plane/metrics/scraper.h"

#include <set>

#include "common/log.h"

namespace capstan::control_plane::metrics {

namespace {
const log::Logger kLog("metrics-scraper");
constexpr size_t kMaxBody = 64 << 20;  // a kubelet with thousands of containers stays far below
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
  std::set<std::string> seen;
  for (const auto& target : targets_()) {
    seen.insert(target.node);
    auto body = fetch_(target);
    if (!body) {
      kLog.Debug("scraping a kubelet", {{"node", target.node}, {"error", body.error().message()}});
      continue;
    }
    if (body->size() > kMaxBody) {
      kLog.Warn("a kubelet's metrics are too large", {{"node", target.node}});
      continue;
    }
    store_->Store(target.node, ScrapeFromSamples(ParsePrometheusText(*body), clock_->Now()));
  }
  store_->Retain(seen);
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

#include "control-plane/metrics/metrics_store.h"

#include <cmath>

namespace capstan::control_plane::metrics {

namespace {

// A container first seen at most this long after it started is measured from its start.
constexpr std::chrono::seconds kMeasureFromStartWithin{90};

bool Sane(double v) { return std::isfinite(v) && v >= 0 && v < 1.8e19; }

// Seconds as nanoseconds, or nothing when out of range (a hostile or broken kubelet must
// not overflow the conversion). 1.8e10 s is 570 core-years, beyond any real counter.
std::optional<uint64_t> Nanos(double seconds) {
  if (!(seconds >= 0 && seconds < 1.8e10)) return std::nullopt;
  return static_cast<uint64_t>(seconds * 1e9 + 0.5);
}

// A Unix time in seconds, bounded to int64 nanoseconds (before the year 2262).
std::optional<WallTime> FromSeconds(double s) {
  if (!(s >= 0 && s < 9.2e9)) return std::nullopt;
  return FromUnixNanos(static_cast<int64_t>(s * 1e9));
}

}  // namespace

NodeScrape ScrapeFromSamples(const std::vector<Sample>& samples, WallTime scraped_at) {
  NodeScrape out;
  auto at = [&](const Sample& s) {
    bool usable = s.timestamp_ms && *s.timestamp_ms >= 0 && *s.timestamp_ms < 9'200'000'000'000;
    return usable ? FromUnixNanos(*s.timestamp_ms * 1'000'000) : scraped_at;
  };
  auto container = [&](const Sample& s) -> Point* {
    std::string ns = s.Label("namespace"), pod = s.Label("pod"), name = s.Label("container");
    if (ns.empty() || pod.empty() || name.empty()) return nullptr;
    return &out.pods[ns + "/" + pod][name];
  };
  for (const auto& s : samples) {
    if (!Sane(s.value)) continue;
    if (s.name == "node_cpu_usage_seconds_total") {
      if (!out.node) out.node = Point{at(s)};
      out.node->at = at(s);
      out.node->cpu_ns = Nanos(s.value);
    } else if (s.name == "node_memory_working_set_bytes") {
      if (!out.node) out.node = Point{at(s)};
      out.node->memory_bytes = static_cast<uint64_t>(s.value);
    } else if (s.name == "container_cpu_usage_seconds_total") {
      if (Point* p = container(s)) {
        p->at = at(s);
        p->cpu_ns = Nanos(s.value);
      }
    } else if (s.name == "container_memory_working_set_bytes") {
      if (Point* p = container(s)) {
        if (p->at == WallTime{}) p->at = at(s);
        p->memory_bytes = static_cast<uint64_t>(s.value);
      }
    } else if (s.name == "container_start_time_seconds") {
      if (Point* p = container(s)) p->started = FromSeconds(s.value);
    }
  }
  return out;
}

std::optional<Usage> UsageBetween(const Point* previous, const Point& current) {
  if (!current.cpu_ns || !current.memory_bytes) return std::nullopt;
  std::optional<std::pair<WallTime, uint64_t>> from;
  bool same_instance = previous && previous->cpu_ns && previous->started == current.started;
  if (same_instance && previous->at < current.at && *previous->cpu_ns <= *current.cpu_ns) {
    from = std::make_pair(previous->at, *previous->cpu_ns);
  } else if (current.started && *current.started < current.at &&
             current.at - *current.started <= kMeasureFromStartWithin) {
    from = std::make_pair(*current.started, uint64_t{0});  // new or restarted: from zero
  }
  if (!from) return std::nullopt;
  auto window = std::chrono::duration_cast<std::chrono::nanoseconds>(current.at - from->first);
  if (window.count() <= 0) return std::nullopt;
  long double cores = static_cast<long double>(*current.cpu_ns - from->second) /
                      static_cast<long double>(window.count());
  // A counter that ran far ahead of its clock (a tiny window, a bogus sample) would not fit
  // in nano-cores; no node has a million cores.
  if (cores > 1e6L) return std::nullopt;
  Usage u;
  u.timestamp = current.at;
  u.window = window;
  u.nano_cores = static_cast<uint64_t>(cores * 1e9L + 0.5L);
  u.memory_bytes = *current.memory_bytes;
  return u;
}

void MetricsStore::Store(const std::string& node, NodeScrape scrape) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = nodes_.try_emplace(node);
  // Only a later answer moves the window on: the same sample served twice (a kubelet that
  // caches) would otherwise leave previous == current and no rate to compute.
  const auto& held = it->second.current.node;
  bool later = !held || !scrape.node || scrape.node->at > held->at;
  if (!inserted && later) it->second.previous = std::move(it->second.current);
  it->second.current = std::move(scrape);
}

void MetricsStore::Retain(const std::set<std::string>& nodes) {
  std::lock_guard lock(mu_);
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = nodes.count(it->first) ? std::next(it) : nodes_.erase(it);
  }
}

std::optional<Usage> MetricsStore::NodeUsage(const std::string& node) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end() || !it->second.current.node || !it->second.previous ||
      !it->second.previous->node) {
    return std::nullopt;
  }
  return UsageBetween(&*it->second.previous->node, *it->second.current.node);
}

std::vector<PodUsage> MetricsStore::PodUsages(const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<PodUsage> out;
  for (const auto& [node, entry] : nodes_) {
    for (const auto& [key, containers] : entry.current.pods) {
      size_t slash = key.find('/');
      PodUsage pod;
      pod.namespace_ = key.substr(0, slash);
      pod.name = key.substr(slash + 1);
      if (!ns.empty() && pod.namespace_ != ns) continue;
      const std::map<std::string, Point>* before = nullptr;
      if (entry.previous) {
        auto prev = entry.previous->pods.find(key);
        if (prev != entry.previous->pods.end()) before = &prev->second;
      }
      bool complete = !containers.empty();
      for (const auto& [name, point] : containers) {
        const Point* prev = nullptr;
        if (before) {
          auto p = before->find(name);
          if (p != before->end()) prev = &p->second;
        }
        auto usage = UsageBetween(prev, point);
        if (!usage) {
          complete = false;  // as metrics-server: a pod is reported whole or not at all
          break;
        }
        if (pod.containers.empty() || usage->timestamp > pod.timestamp) {
          pod.timestamp = usage->timestamp;
          pod.window = usage->window;
        }
        pod.containers.emplace_back(name, *usage);
      }
      if (complete) out.push_back(std::move(pod));
    }
  }
  return out;
}

}  // namespace capstan::control_plane::metrics

#include "kubelet/eviction/eviction_manager.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/k8s/quantity.h"
#include "api/k8s/scheduling/node_fit.h"
#include "common/log.h"
#include "kubelet/cm/qos.h"
#include "kubelet/podworkers/pod_workers.h"

namespace capstan::kubelet::eviction {

namespace {

const log::Logger kLog("eviction");

bool IsDiskSignal(Signal s) {
  return s == Signal::kNodeFsAvailable || s == Signal::kNodeFsInodesFree ||
         s == Signal::kImageFsAvailable;
}

constexpr int32_t kSystemCriticalPriority = 2000000000;

// What a pod uses and requests of the resource a signal is about.
struct Usage {
  bool known = false;
  int64_t used = 0;
  int64_t requested = 0;
  // Per container: name, used, requested (for the message).
  std::vector<std::tuple<std::string, int64_t, int64_t>> containers;
};

int64_t ContainerRequest(const api::k8s::Pod& pod, const std::string& container,
                         const std::string& resource) {
  for (const auto& c : pod.spec.containers) {
    if (c.name != container) continue;
    auto it = c.resources.requests.find(resource);
    return it == c.resources.requests.end() ? 0 : it->second.Value();
  }
  return 0;
}

Usage UsageOf(Signal signal, const api::k8s::Pod& pod, const cadvisor::PodStats& stats) {
  Usage u;
  std::string resource = ResourceOf(signal);
  for (const auto& c : stats.containers) {
    int64_t used = 0;
    if (signal == Signal::kMemoryAvailable) {
      if (!c.memory || !c.memory->working_set_bytes) continue;
      used = static_cast<int64_t>(*c.memory->working_set_bytes);
    } else if (signal == Signal::kPidAvailable) {
      continue;  // counted per pod below
    } else {
      bool inodes = signal == Signal::kNodeFsInodesFree;
      for (const auto* fs : {&c.rootfs, &c.logs}) {
        if (!*fs) continue;
        used += static_cast<int64_t>(inodes ? (*fs)->inodes_used.value_or(0)
                                            : (*fs)->used_bytes.value_or(0));
      }
    }
    int64_t requested = resource == "inodes" ? 0 : ContainerRequest(pod, c.name, resource);
    u.containers.emplace_back(c.name, used, requested);
    u.used += used;
    u.requested += requested;
    u.known = true;
  }
  if (signal == Signal::kPidAvailable) {
    u.known = stats.process_count.has_value();
    u.used = static_cast<int64_t>(stats.process_count.value_or(0));
  }
  return u;
}

std::string Amount(Signal signal, int64_t v) {
  return signal == Signal::kNodeFsInodesFree || signal == Signal::kPidAvailable
             ? std::to_string(v)
             : api::k8s::FormatBinarySI(v);
}

}  // namespace

bool IsEvictable(const api::k8s::Pod& pod) {
  if (podworkers::IsStaticPod(pod)) return false;
  return pod.spec.priority.value_or(0) < kSystemCriticalPriority;
}

std::optional<std::string> RejectUnderPressure(const api::k8s::Pod& pod,
                                               const std::vector<std::string>& conditions) {
  if (conditions.empty() || !IsEvictable(pod)) return std::nullopt;
  bool memory_only = conditions.size() == 1 && conditions[0] == "MemoryPressure";
  if (memory_only) {
    if (cm::ComputePodQos(pod) != cm::QosClass::kBestEffort) return std::nullopt;
    api::k8s::scheduling::Taint taint{"node.kubernetes.io/memory-pressure", "", "NoSchedule"};
    if (api::k8s::scheduling::ToleratesTaint(pod.spec.tolerations, taint)) return std::nullopt;
  }
  // Go's %v of a []string: "[MemoryPressure DiskPressure]".
  return fmt::format("The node had condition: [{}]. ", fmt::join(conditions, " "));
}

std::vector<const api::k8s::Pod*> RankForEviction(Signal signal,
                                                  const std::vector<api::k8s::Pod>& pods,
                                                  const cadvisor::Summary& summary) {
  struct Ranked {
    const api::k8s::Pod* pod;
    Usage usage;
  };
  std::vector<Ranked> ranked;
  for (const auto& pod : pods) {
    Ranked r{&pod, {}};
    for (const auto& s : summary.pods) {
      if (s.uid == pod.metadata.uid) r.usage = UsageOf(signal, pod, s);
    }
    ranked.push_back(std::move(r));
  }
  // Upstream's orderings: exceeds requests, then priority, then consumption (PID pressure:
  // priority, then process count).
  std::stable_sort(ranked.begin(), ranked.end(), [signal](const Ranked& a, const Ranked& b) {
    if (a.usage.known != b.usage.known) return a.usage.known;
    if (signal != Signal::kPidAvailable) {
      bool ea = a.usage.used > a.usage.requested, eb = b.usage.used > b.usage.requested;
      if (ea != eb) return ea;
    }
    int32_t pa = a.pod->spec.priority.value_or(0), pb = b.pod->spec.priority.value_or(0);
    if (pa != pb) return pa < pb;
    if (signal == Signal::kPidAvailable) return a.usage.used > b.usage.used;
    return a.usage.used - a.usage.requested > b.usage.used - b.usage.requested;
  });
  std::vector<const api::k8s::Pod*> out;
  for (const auto& r : ranked) out.push_back(r.pod);
  return out;
}

EvictionManager::EvictionManager(EvictionOptions options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

bool EvictionManager::HasCondition(const std::string& condition) const {
  std::lock_guard lock(mu_);
  auto it = last_pressure_.find(condition);
  return it != last_pressure_.end() &&
         clock_->Monotonic() - it->second < options_.pressure_transition_period;
}

std::optional<EvictionDecision> EvictionManager::Synchronize(const cadvisor::Summary& first_summary,
                                                             const std::vector<api::k8s::Pod>& pods,
                                                             const NodeReclaim& reclaim) {
  auto now = clock_->Monotonic();
  const cadvisor::Summary* summary_ptr = &first_summary;
  Observations observed = Observe(first_summary, options_.memory_capacity_bytes);
  std::vector<Threshold> met = ThresholdsMet(options_.thresholds, observed);
  std::optional<Threshold> acting;  // the threshold to act on: hard first
  {
    std::lock_guard lock(mu_);
    std::map<std::pair<Signal, bool>, std::chrono::steady_clock::time_point> still_met;
    for (const auto& t : met) {
      auto key = std::make_pair(t.signal, t.soft);
      auto first = first_met_.count(key) ? first_met_[key] : now;
      still_met[key] = first;
      last_pressure_[ConditionOf(t.signal)] = now;
      bool due = !t.soft || now - first >= t.grace_period;
      if (due && (!acting || (acting->soft && !t.soft))) acting = t;
    }
    first_met_ = std::move(still_met);
  }
  if (!acting) return std::nullopt;

  cadvisor::Summary after_reclaim;
  if (IsDiskSignal(acting->signal) && reclaim.delete_unused_images && reclaim.summary) {
    reclaim.delete_unused_images();
    after_reclaim = reclaim.summary();
    summary_ptr = &after_reclaim;
    observed = Observe(after_reclaim, options_.memory_capacity_bytes);
    std::vector<Threshold> still = ThresholdsMet({*acting}, observed);
    if (still.empty()) {
      kLog.Info("deleting unused images freed enough; no pod evicted",
                {{"signal", SignalName(acting->signal)}});
      return std::nullopt;
    }
  }
  const cadvisor::Summary& summary = *summary_ptr;

  std::vector<api::k8s::Pod> candidates;
  for (const auto& p : pods) {
    if (IsEvictable(p)) candidates.push_back(p);
  }
  auto ranked = RankForEviction(acting->signal, candidates, summary);
  if (ranked.empty()) return std::nullopt;
  const api::k8s::Pod& victim = *ranked.front();

  const Observation& o = observed.at(acting->signal);
  std::string resource = ResourceOf(acting->signal);
  EvictionDecision d;
  d.pod = victim;
  d.message = fmt::format(
      "The node was low on resource: {}. Threshold quantity: {}, available: {}. ", resource,
      Amount(acting->signal, acting->Value(o.capacity)), Amount(acting->signal, o.available));
  for (const auto& s : summary.pods) {
    if (s.uid != victim.metadata.uid) continue;
    for (const auto& [name, used, requested] : UsageOf(acting->signal, victim, s).containers) {
      if (used > requested) {
        d.message += fmt::format(
            "Container {} was using {}, request is {}, has larger consumption of {}. ", name,
            Amount(acting->signal, used), Amount(acting->signal, requested), resource);
      }
    }
  }
  if (!acting->soft) {
    d.grace_period_override = 0;
  } else if (options_.max_pod_grace_period > 0) {
    d.grace_period_override = options_.max_pod_grace_period;
  }
  return d;
}

}  // namespace capstan::kubelet::eviction

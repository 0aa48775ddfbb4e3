#pragma once
// EvictionManager (upstream's pkg/kubelet/eviction): every synchronize, from the stats
// Summary, which thresholds the node is past; the pressure conditions they raise (held for
// evictionPressureTransitionPeriod after the last breach, so a node does not flap); and, while
// a threshold is met (soft ones past their grace period), the one pod to evict, ranked as
// upstream: pods using more than they requested first, then lower priority, then the
// largest consumer. Static and system-critical pods are never chosen. Pure logic: the kubelet
// acts on the decision (kubelet/kubelet_eviction.cc).

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "cadvisor-lite/summary.h"
#include "common/time.h"
#include "kubelet/eviction/thresholds.h"

namespace capstan::kubelet::eviction {

struct EvictionOptions {
  std::vector<Threshold> thresholds;
  std::chrono::seconds pressure_transition_period{300};
  int64_t max_pod_grace_period = 0;  // for soft evictions (0: the pod's own)
  int64_t memory_capacity_bytes = 0;
};

struct EvictionDecision {
  api::k8s::Pod pod;
  std::string message;                           // upstream's "The node was low on resource: ..."
  std::optional<int64_t> grace_period_override;  // hard: 0
};

// Node-level reclaim before any pod is evicted (upstream's reclaimNodeLevelResources): under
// a disk signal, unused images are deleted, the summary is read again, and a pod is evicted
// only if the threshold is still met. Either function may be null (no reclaim).
struct NodeReclaim {
  std::function<void()> delete_unused_images;
  std::function<cadvisor::Summary()> summary;
};

class EvictionManager {
 public:
  EvictionManager(EvictionOptions options, const Clock* clock);

  // One round: updates the conditions and returns the pod to evict, if any. `pods` are the
  // active pods (admitted, not finished).
  std::optional<EvictionDecision> Synchronize(const cadvisor::Summary& summary,
                                              const std::vector<api::k8s::Pod>& pods,
                                              const NodeReclaim& reclaim = {});

  bool Enabled() const { return !options_.thresholds.empty(); }
  bool MemoryPressure() const { return HasCondition("MemoryPressure"); }
  bool DiskPressure() const { return HasCondition("DiskPressure"); }
  bool PidPressure() const { return HasCondition("PIDPressure"); }

 private:
  bool HasCondition(const std::string& condition) const;

  EvictionOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  // When each threshold (by signal and softness) was first seen met, while it stays met.
  std::map<std::pair<Signal, bool>, std::chrono::steady_clock::time_point> first_met_;
  // Per condition, when a threshold raising it was last met.
  std::map<std::string, std::chrono::steady_clock::time_point> last_pressure_;
};

// Whether the kubelet may evict the pod: not a static pod, not system-critical priority.
bool IsEvictable(const api::k8s::Pod& pod);

// Upstream's eviction admit handler: while the node is under `conditions` (MemoryPressure,
// DiskPressure, PIDPressure), which new pods it refuses. Under MemoryPressure alone only
// BestEffort pods are refused, unless they tolerate the memory-pressure taint; under any
// other pressure every pod is. Static and system-critical pods always pass. Returns the
// rejection message (reason "Evicted"), or nothing to admit.
std::optional<std::string> RejectUnderPressure(const api::k8s::Pod& pod,
                                               const std::vector<std::string>& conditions);

// The pods in eviction order for `signal` (the first is evicted); pods without stats last.
std::vector<const api::k8s::Pod*> RankForEviction(Signal signal,
                                                  const std::vector<api::k8s::Pod>& pods,
                                                  const cadvisor::Summary& summary);

}  // namespace capstan::kubelet::eviction

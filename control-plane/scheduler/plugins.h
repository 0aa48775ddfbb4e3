#pragma once
// The filter and score plugins of kube-scheduler's default profile that capstan has, in its
// order and with its weights and words: NodeUnschedulable, NodeName, TaintToleration,
// NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity (filters);
// TaintToleration (3), NodeAffinity (2), PodTopologySpread (2), InterPodAffinity (2),
// NodeResourcesFit least-allocated (1), NodeResourcesBalancedAllocation (1) (scores).
// A node passes when every filter passes; feasible nodes are ranked by the weighted sum of
// the normalized scores (0..100 each).

#include <any>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control-plane/scheduler/snapshot.h"

namespace capstan::control_plane::scheduler {

// Why a filter refused a node: upstream's reason strings ("Insufficient cpu"), and whether
// evicting lower-priority pods could ever help (it cannot for affinity or taints).
struct FilterFailure {
  std::vector<std::string> reasons;
  bool unresolvable = false;
};

// What plugins work out once per scheduling cycle (PreFilter) for their Filter and Score, by
// plugin name.
using CycleState = std::map<std::string, std::any>;

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string Name() const = 0;
  // Once per cycle, before any Filter: what the plugin needs from the whole cluster.
  virtual void PreFilter(const api::k8s::Pod& /*pod*/, const Snapshot& /*snapshot*/,
                         CycleState& /*state*/) const {}
  virtual std::optional<FilterFailure> Filter(const api::k8s::Pod& /*pod*/,
                                              const NodeState& /*node*/,
                                              const CycleState& /*state*/) const {
    return std::nullopt;
  }
  // 0: the plugin does not score.
  virtual int ScoreWeight() const { return 0; }
  virtual int64_t Score(const api::k8s::Pod& /*pod*/, const NodeState& /*node*/,
                        const CycleState& /*state*/) const {
    return 0;
  }
  // Scales the raw scores of the feasible nodes to 0..100 (default: they already are).
  virtual void Normalize(std::vector<int64_t>& /*scores*/) const {}
};

std::vector<std::unique_ptr<Plugin>> DefaultPlugins();
// pod_topology.cc
std::unique_ptr<Plugin> NewInterPodAffinity();
std::unique_ptr<Plugin> NewPodTopologySpread();

}  // namespace capstan::control_plane::scheduler

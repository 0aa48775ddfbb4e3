#pragma once
// Preemption, as kube-scheduler's DefaultPreemption: when a pod fits on no node, find a node
// where removing pods of lower priority lets it fit, and remove as few as matter least.
//
// For each node refused for a reason that removing pods could cure, the dry run takes every
// lower-priority pod off a copy of the node; if the pod then fits, it puts them back one at
// a time, most important first (pods a PodDisruptionBudget protects before the others), and
// keeps as victims only those that do not fit back. Among the nodes that work, the choice is
// upstream's: fewest budget violations, then the lowest highest-priority victim, the lowest
// sum of priorities, the fewest victims, the most recently started victims.
//
// What this does not model: pods whose removal would cure an inter-pod (anti-)affinity or
// spreading refusal are found only when those plugins' per-cycle counts allow it, as the
// counts are not recomputed per dry run.

#include <set>
#include <string>
#include <vector>

#include "api/k8s/labels.h"
#include "control-plane/scheduler/plugins.h"

namespace capstan::control_plane::scheduler {

// A PodDisruptionBudget as preemption weighs it.
struct DisruptionBudget {
  std::string ns;
  api::k8s::LabelSelector selector;  // an empty one selects nothing here, as upstream
  int32_t disruptions_allowed = 0;
  std::set<std::string> disrupted;  // status.disruptedPods: already counted against it
};

struct PreemptionPlan {
  std::string node;                  // "" when preemption cannot help
  std::vector<std::string> victims;  // pod keys, most important first
  std::vector<std::string> victim_uids;
  std::string message;  // "preemption: 0/3 nodes are available: ..." when node is ""
};

// Why the pod may not preempt at all ("" when it may): its preemptionPolicy is Never, or
// pods it already preempted on its nominated node are still going.
std::string PreemptionIneligibility(const api::k8s::Pod& pod, const Snapshot& snapshot);

// `candidates` are the nodes refused for a reason eviction could cure, out of `total`;
// `state` is the pod's cycle state from PreFilter.
PreemptionPlan FindPreemption(const api::k8s::Pod& pod, size_t total,
                              const std::vector<std::unique_ptr<Plugin>>& plugins,
                              const CycleState& state,
                              const std::vector<const NodeState*>& candidates,
                              const std::vector<DisruptionBudget>& budgets);

}  // namespace capstan::control_plane::scheduler

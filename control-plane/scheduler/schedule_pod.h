#pragma once
// One scheduling decision, a pure function of the pod, the snapshot and the plugins (as
// kube-scheduler's schedulePod): filter every node, score the feasible ones, take the best
// (ties broken at random, so equal nodes share the load). When no node fits, the message is
// upstream's FitError: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
// Pod's node affinity/selector. preemption: 0/3 nodes are available: ...".

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "control-plane/scheduler/plugins.h"
#include "control-plane/scheduler/preemption.h"

namespace capstan::control_plane::scheduler {

struct ScheduleResult {
  std::string node;     // "" when nothing fits
  std::string message;  // why nothing fits
  // When nothing fits but removing lower-priority pods makes room: where, and whom.
  PreemptionPlan preemption;
};

// Pods waiting for the room preemption made for them, by node name. A pod of the same or
// lower priority sees that room as taken (as upstream's nominated pods).
using NominatedPods = std::map<std::string, std::vector<PodUsage>>;

ScheduleResult SchedulePod(const api::k8s::Pod& pod, const Snapshot& snapshot,
                           const std::vector<std::unique_ptr<Plugin>>& plugins, std::mt19937& rng,
                           const NominatedPods& nominated = {},
                           const std::vector<DisruptionBudget>& budgets = {});

}  // namespace capstan::control_plane::scheduler

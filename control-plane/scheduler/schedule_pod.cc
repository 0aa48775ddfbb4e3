#include "control-plane/scheduler/schedule_pod.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>

namespace capstan::control_plane::scheduler {
namespace {

// "1 a, 2 b": each reason with the number of nodes that gave it, sorted as strings, as
// upstream sorts its histogram.
std::string Histogram(const std::map<std::string, int>& counts) {
  std::vector<std::string> parts;
  for (const auto& [reason, n] : counts) parts.push_back(fmt::format("{} {}", n, reason));
  std::sort(parts.begin(), parts.end());
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The node with the pods nominated to it that come before `pod` counted in (a copy, only
// when there are any).
const NodeState& WithNominated(const api::k8s::Pod& pod, const NodeState& node,
                               const NominatedPods& nominated, std::deque<NodeState>& copies) {
  auto it = nominated.find(node.info.name);
  if (it == nominated.end()) return node;
  std::string self = pod.metadata.namespace_ + "/" + pod.metadata.name;
  NodeState* copy = nullptr;
  for (const auto& usage : it->second) {
    if (usage.key == self || usage.placed.priority < pod.spec.priority.value_or(0)) continue;
    if (!copy) copy = &copies.emplace_back(node);
    AddToNode(*copy, usage);
  }
  return copy ? *copy : node;
}

}  // namespace

ScheduleResult SchedulePod(const api::k8s::Pod& pod, const Snapshot& snapshot,
                           const std::vector<std::unique_ptr<Plugin>>& plugins, std::mt19937& rng,
                           const NominatedPods& nominated,
                           const std::vector<DisruptionBudget>& budgets) {
  const auto& nodes = snapshot.nodes();
  if (nodes.empty()) return {"", "no nodes available to schedule pods", {}};
  CycleState state;
  for (const auto& p : plugins) p->PreFilter(pod, snapshot, state);
  std::deque<NodeState> copies;  // nodes with nominated pods counted in
  auto filter = [&](const NodeState& node) {
    std::optional<FilterFailure> failure;
    for (const auto& p : plugins) {
      if ((failure = p->Filter(pod, node, state))) break;
    }
    return failure;
  };
  // The node preemption made room on is tried first, and taken if the pod fits there.
  if (!pod.status.nominated_node_name.empty()) {
    for (const auto& node : nodes) {
      if (node.info.name == pod.status.nominated_node_name &&
          !filter(WithNominated(pod, node, nominated, copies))) {
        return {node.info.name, "", {}};
      }
    }
  }
  std::vector<const NodeState*> feasible;
  std::vector<const NodeState*> resolvable;  // refused for a reason eviction could cure
  std::map<std::string, int> reasons;
  for (const auto& node : nodes) {
    const NodeState& view = WithNominated(pod, node, nominated, copies);
    auto failure = filter(view);
    if (!failure) {
      feasible.push_back(&view);
      continue;
    }
    for (const auto& r : failure->reasons) ++reasons[r];
    if (!failure->unresolvable) resolvable.push_back(&view);
  }
  if (feasible.empty()) {
    ScheduleResult result;
    result.message = fmt::format("0/{} nodes are available: {}.", nodes.size(), Histogram(reasons));
    // Upstream's PostFilter: a plan leaves the message as it is; no plan says why.
    std::string ineligible = PreemptionIneligibility(pod, snapshot);
    if (ineligible.empty()) {
      result.preemption = FindPreemption(pod, nodes.size(), plugins, state, resolvable, budgets);
    }
    std::string why = ineligible.empty() ? result.preemption.message : ineligible;
    if (!why.empty()) result.message += " " + why;
    return result;
  }
  if (feasible.size() == 1) return {feasible[0]->info.name, "", {}};

  std::vector<int64_t> total(feasible.size(), 0);
  for (const auto& p : plugins) {
    if (p->ScoreWeight() == 0) continue;
    std::vector<int64_t> scores;
    scores.reserve(feasible.size());
    for (const auto* node : feasible) scores.push_back(p->Score(pod, *node, state));
    p->Normalize(scores);
    for (size_t i = 0; i < scores.size(); ++i) total[i] += scores[i] * p->ScoreWeight();
  }
  // The best score; among equals, each is picked with the same chance (reservoir sampling).
  size_t best = 0;
  int ties = 1;
  for (size_t i = 1; i < total.size(); ++i) {
    if (total[i] > total[best]) {
      best = i;
      ties = 1;
    } else if (total[i] == total[best] && std::uniform_int_distribution<int>(0, ties++)(rng) == 0) {
      best = i;
    }
  }
  return {feasible[best]->info.name, "", {}};
}

}  // namespace capstan::control_plane::scheduler

#include "control-plane/scheduler/schedule_pod.h"

#include <fmt/format.h>

#include <algorithm>
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

// What the preemption step would say. capstan does not preempt yet: a node refused for a
// reason eviction could cure finds no victims; any other is not helped by preemption.
std::string PreemptionMessage(const api::k8s::Pod& pod, size_t nodes, int resolvable) {
  if (pod.spec.preemption_policy == "Never") {
    return "preemption: not eligible due to preemptionPolicy=Never.";
  }
  std::map<std::string, int> counts;
  if (resolvable > 0) counts["No preemption victims found for incoming pod"] = resolvable;
  int unresolvable = static_cast<int>(nodes) - resolvable;
  if (unresolvable > 0) counts["Preemption is not helpful for scheduling"] = unresolvable;
  return fmt::format("preemption: 0/{} nodes are available: {}.", nodes, Histogram(counts));
}

}  // namespace

ScheduleResult SchedulePod(const api::k8s::Pod& pod, const Snapshot& snapshot,
                           const std::vector<std::unique_ptr<Plugin>>& plugins, std::mt19937& rng) {
  const auto& nodes = snapshot.nodes();
  if (nodes.empty()) return {"", "no nodes available to schedule pods"};
  CycleState state;
  for (const auto& p : plugins) p->PreFilter(pod, snapshot, state);
  std::vector<const NodeState*> feasible;
  std::map<std::string, int> reasons;
  int resolvable = 0;
  for (const auto& node : nodes) {
    std::optional<FilterFailure> failure;
    for (const auto& p : plugins) {
      if ((failure = p->Filter(pod, node, state))) break;
    }
    if (!failure) {
      feasible.push_back(&node);
      continue;
    }
    for (const auto& r : failure->reasons) ++reasons[r];
    if (!failure->unresolvable) ++resolvable;
  }
  if (feasible.empty()) {
    return {"", fmt::format("0/{} nodes are available: {}. {}", nodes.size(), Histogram(reasons),
                            PreemptionMessage(pod, nodes.size(), resolvable))};
  }
  if (feasible.size() == 1) return {feasible[0]->info.name, ""};

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
  return {feasible[best]->info.name, ""};
}

}  // namespace capstan::control_plane::scheduler

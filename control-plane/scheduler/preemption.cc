#include "control-plane/scheduler/preemption.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

namespace capstan::control_plane::scheduler {
namespace {

int32_t PriorityOf(const api::k8s::Pod& pod) { return pod.spec.priority.value_or(0); }

// Upstream's MoreImportantPod: higher priority, then started earlier.
bool MoreImportant(const PodUsage* a, const PodUsage* b) {
  if (a->placed.priority != b->placed.priority) return a->placed.priority > b->placed.priority;
  return a->placed.started < b->placed.started;
}

bool Fits(const api::k8s::Pod& pod, const NodeState& node,
          const std::vector<std::unique_ptr<Plugin>>& plugins, const CycleState& state) {
  for (const auto& p : plugins) {
    if (p->Filter(pod, node, state)) return false;
  }
  return true;
}

struct Candidate {
  const NodeState* node = nullptr;
  std::vector<const PodUsage*> victims;  // most important first
  int violations = 0;
};

// The victims on one node, or nullopt when removing every lower-priority pod is not enough.
std::optional<Candidate> SelectVictims(const api::k8s::Pod& pod, const NodeState& node,
                                       const std::vector<std::unique_ptr<Plugin>>& plugins,
                                       const CycleState& state,
                                       const std::vector<DisruptionBudget>& budgets) {
  NodeState what_if = node;
  std::vector<const PodUsage*> lower;
  for (const auto& [key, usage] : node.pods) {
    if (usage.placed.priority < PriorityOf(pod)) lower.push_back(&usage);
  }
  if (lower.empty()) return std::nullopt;
  for (const auto* usage : lower) RemoveFromNode(what_if, *usage);
  if (!Fits(pod, what_if, plugins, state)) return std::nullopt;

  std::sort(lower.begin(), lower.end(), MoreImportant);
  // Which of them a budget protects: each budget allows so many disruptions, spent in order.
  std::vector<int32_t> allowed;
  for (const auto& b : budgets) allowed.push_back(b.disruptions_allowed);
  std::vector<const PodUsage*> violating, other;
  for (const auto* usage : lower) {
    bool violates = false;
    for (size_t i = 0; i < budgets.size(); ++i) {
      // Upstream's filterPodsWithPDBViolation: an empty selector matches nothing, and a pod
      // the budget already counts as disrupted is not counted twice.
      const DisruptionBudget& b = budgets[i];
      if (b.ns != usage->placed.ns || b.selector.Empty() || b.selector.IsNothing() ||
          !b.selector.Matches(usage->placed.labels)) {
        continue;
      }
      std::string name = usage->key.substr(usage->key.find('/') + 1);
      if (b.disrupted.count(name)) continue;
      if (--allowed[i] < 0) violates = true;
    }
    (violates ? violating : other).push_back(usage);
  }
  Candidate out;
  auto reprieve = [&](const PodUsage* usage, bool violates) {
    AddToNode(what_if, *usage);
    if (Fits(pod, what_if, plugins, state)) return;
    RemoveFromNode(what_if, *usage);
    out.victims.push_back(usage);
    if (violates) ++out.violations;
  };
  for (const auto* usage : violating) reprieve(usage, true);
  for (const auto* usage : other) reprieve(usage, false);
  std::sort(out.victims.begin(), out.victims.end(), MoreImportant);
  return out;
}

int64_t SumOfPriorities(const Candidate& c) {
  // Offset so that negative priorities still add up to more victims costing more.
  int64_t sum = 0;
  for (const auto* v : c.victims) {
    sum += static_cast<int64_t>(v->placed.priority) + std::numeric_limits<int32_t>::max() + 1;
  }
  return sum;
}

// The earliest start among the victims of the highest priority.
WallTime EarliestStartOfTop(const Candidate& c) {
  WallTime earliest = WallTime::max();
  for (const auto* v : c.victims) {
    if (v->placed.priority != c.victims.front()->placed.priority) break;
    earliest = std::min(earliest, v->placed.started);
  }
  return earliest;
}

// Upstream's pickOneNodeForPreemption, criteria in order.
const Candidate& PickOne(const std::vector<Candidate>& candidates) {
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.violations != b.violations) return a.violations < b.violations;
    int32_t top_a = a.victims.empty() ? std::numeric_limits<int32_t>::min()
                                      : a.victims.front()->placed.priority;
    int32_t top_b = b.victims.empty() ? std::numeric_limits<int32_t>::min()
                                      : b.victims.front()->placed.priority;
    if (top_a != top_b) return top_a < top_b;
    if (SumOfPriorities(a) != SumOfPriorities(b)) return SumOfPriorities(a) < SumOfPriorities(b);
    if (a.victims.size() != b.victims.size()) return a.victims.size() < b.victims.size();
    if (a.victims.empty()) return false;
    return EarliestStartOfTop(a) > EarliestStartOfTop(b);
  };
  const Candidate* best = &candidates.front();
  for (const auto& c : candidates) {
    if (better(c, *best)) best = &c;
  }
  return *best;
}

}  // namespace

std::string PreemptionIneligibility(const api::k8s::Pod& pod, const Snapshot& snapshot) {
  if (pod.spec.preemption_policy == "Never") {
    return "preemption: not eligible due to preemptionPolicy=Never.";
  }
  const std::string& nominated = pod.status.nominated_node_name;
  if (nominated.empty()) return "";
  for (const auto& node : snapshot.nodes()) {
    if (node.info.name != nominated) continue;
    for (const auto& [key, usage] : node.pods) {
      if (usage.placed.terminating && usage.placed.priority < PriorityOf(pod)) {
        return "preemption: not eligible due to a terminating pod on the nominated node.";
      }
    }
  }
  return "";
}

PreemptionPlan FindPreemption(const api::k8s::Pod& pod, size_t total,
                              const std::vector<std::unique_ptr<Plugin>>& plugins,
                              const CycleState& state,
                              const std::vector<const NodeState*>& candidates,
                              const std::vector<DisruptionBudget>& budgets) {
  std::vector<Candidate> found;
  for (const NodeState* node : candidates) {
    auto c = SelectVictims(pod, *node, plugins, state, budgets);
    if (!c) continue;
    c->node = node;
    found.push_back(std::move(*c));
  }
  PreemptionPlan plan;
  if (found.empty()) {
    std::vector<std::string> parts;
    if (!candidates.empty()) {
      parts.push_back(
          fmt::format("{} No preemption victims found for incoming pod", candidates.size()));
    }
    if (total > candidates.size()) {
      parts.push_back(
          fmt::format("{} Preemption is not helpful for scheduling", total - candidates.size()));
    }
    std::sort(parts.begin(), parts.end());  // upstream sorts its histogram as strings
    plan.message =
        fmt::format("preemption: 0/{} nodes are available: {}.", total, fmt::join(parts, ", "));
    return plan;
  }
  const Candidate& best = PickOne(found);
  plan.node = best.node->info.name;
  for (const auto* v : best.victims) {
    plan.victims.push_back(v->key);
    plan.victim_uids.push_back(v->uid);
  }
  return plan;
}

}  // namespace capstan::control_plane::scheduler

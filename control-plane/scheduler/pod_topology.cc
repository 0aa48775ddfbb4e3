// The plugins that look at where other pods run: InterPodAffinity (podAffinity and
// podAntiAffinity, required and preferred, and the required anti-affinity of pods already
// placed) and PodTopologySpread (maxSkew over a topology key, DoNotSchedule filtering and
// ScheduleAnyway scoring). Each works its counts out once per cycle, in PreFilter.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "api/k8s/scheduling/node_fit.h"
#include "control-plane/scheduler/plugins.h"

namespace capstan::control_plane::scheduler {
namespace {

using api::k8s::Pod;

const std::string* LabelOf(const NodeState& node, const std::string& key) {
  auto it = node.info.labels.find(key);
  return it == node.info.labels.end() ? nullptr : &it->second;
}

// Upstream's min-max scaling to 0..100 (all 0 when every node scored the same).
void MinMaxNormalize(std::vector<int64_t>& scores) {
  if (scores.empty()) return;
  auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  int64_t min = *lo, diff = *hi - *lo;
  for (auto& s : scores) s = diff > 0 ? (s - min) * 100 / diff : 0;
}

class InterPodAffinity : public Plugin {
 public:
  struct State {
    PodAffinityTerms terms;
    std::vector<std::set<std::string>> affinity_values;  // per required term: domains with a match
    std::vector<std::set<std::string>> anti_values;      // per required anti term
    bool any_affinity_match = false;
    bool matches_own_terms = false;
    std::set<std::pair<std::string, std::string>> existing_anti;       // (key, value) kept clear
    std::map<std::pair<std::string, std::string>, int64_t> preferred;  // (key, value) -> weight
  };

  std::string Name() const override { return "InterPodAffinity"; }

  void PreFilter(const Pod& pod, const Snapshot& snapshot, CycleState& state) const override {
    State s;
    s.terms = AffinityTermsOf(pod);
    s.affinity_values.resize(s.terms.required_affinity.size());
    s.anti_values.resize(s.terms.required_anti_affinity.size());
    const std::string& ns = pod.metadata.namespace_;
    if (s.terms.empty() && snapshot.pods_with_anti_affinity() == 0) {
      state[Name()] = std::move(s);  // nothing to count: every node passes, all score 0
      return;
    }
    s.matches_own_terms = std::all_of(
        s.terms.required_affinity.begin(), s.terms.required_affinity.end(),
        [&](const PodAffinityTerm& t) { return t.Selects(ns, ns, pod.metadata.labels); });
    for (const auto& node : snapshot.nodes()) {
      for (const auto& [key, usage] : node.pods) {
        const PlacedPod& placed = usage.placed;
        for (const auto& t : placed.required_anti_affinity) {
          const std::string* value = LabelOf(node, t.topology_key);
          if (value && t.Selects(placed.ns, ns, pod.metadata.labels)) {
            s.existing_anti.insert({t.topology_key, *value});
          }
        }
        // Affinity: as upstream, a placed pod counts for the terms only if it matches all
        // of them. Anti-affinity: each term on its own.
        const auto& affinity = s.terms.required_affinity;
        bool matches_all =
            !affinity.empty() && std::all_of(affinity.begin(), affinity.end(), [&](const auto& t) {
              return t.Selects(ns, placed.ns, placed.labels);
            });
        for (size_t i = 0; matches_all && i < affinity.size(); ++i) {
          const std::string* value = LabelOf(node, affinity[i].topology_key);
          if (!value) continue;
          s.affinity_values[i].insert(*value);
          s.any_affinity_match = true;
        }
        const auto& anti = s.terms.required_anti_affinity;
        for (size_t i = 0; i < anti.size(); ++i) {
          const std::string* value = LabelOf(node, anti[i].topology_key);
          if (value && anti[i].Selects(ns, placed.ns, placed.labels)) {
            s.anti_values[i].insert(*value);
          }
        }
        for (int sign : {1, -1}) {
          for (const auto& t :
               sign > 0 ? s.terms.preferred_affinity : s.terms.preferred_anti_affinity) {
            const std::string* value = LabelOf(node, t.topology_key);
            if (value && t.Selects(ns, placed.ns, placed.labels)) {
              s.preferred[{t.topology_key, *value}] += sign * t.weight;
            }
          }
        }
      }
    }
    state[Name()] = std::move(s);
  }

  std::optional<FilterFailure> Filter(const Pod&, const NodeState& node,
                                      const CycleState& state) const override {
    // Upstream's order: the pod's affinity, its anti-affinity, then other pods' anti-affinity.
    const auto& s = std::any_cast<const State&>(state.at(Name()));
    // The first pod of a group that selects itself may go anywhere its terms' keys exist.
    bool first_of_group = !s.any_affinity_match && s.matches_own_terms;
    for (size_t i = 0; i < s.affinity_values.size(); ++i) {
      const std::string* v = LabelOf(node, s.terms.required_affinity[i].topology_key);
      if (!v || (!first_of_group && !s.affinity_values[i].contains(*v))) {
        return FilterFailure{{"node(s) didn't match pod affinity rules"}, true};
      }
    }
    for (size_t i = 0; i < s.anti_values.size(); ++i) {
      const std::string* v = LabelOf(node, s.terms.required_anti_affinity[i].topology_key);
      if (v && s.anti_values[i].contains(*v)) {
        return FilterFailure{{"node(s) didn't match pod anti-affinity rules"}, false};
      }
    }
    for (const auto& [key, value] : s.existing_anti) {
      const std::string* v = LabelOf(node, key);
      if (v && *v == value) {
        return FilterFailure{{"node(s) didn't satisfy existing pods anti-affinity rules"}, false};
      }
    }
    return std::nullopt;
  }

  int ScoreWeight() const override { return 2; }
  int64_t Score(const Pod&, const NodeState& node, const CycleState& state) const override {
    const auto& s = std::any_cast<const State&>(state.at(Name()));
    int64_t sum = 0;
    for (const auto& [domain, weight] : s.preferred) {
      const std::string* v = LabelOf(node, domain.first);
      if (v && *v == domain.second) sum += weight;
    }
    return sum;
  }
  void Normalize(std::vector<int64_t>& scores) const override { MinMaxNormalize(scores); }
};

class PodTopologySpread : public Plugin {
 public:
  struct Counted {
    TopologySpreadConstraint constraint;
    std::map<std::string, int64_t> counts;  // every eligible domain, with its matching pods
    int64_t min = 0;
    int64_t self = 0;  // 1 when the pod matches its own selector
  };
  using State = std::vector<Counted>;

  std::string Name() const override { return "PodTopologySpread"; }

  void PreFilter(const Pod& pod, const Snapshot& snapshot, CycleState& state) const override {
    State s;
    for (auto& c : SpreadConstraintsOf(pod)) {
      Counted counted{std::move(c), {}, 0, 0};
      const auto& constraint = counted.constraint;
      counted.self = constraint.selector.Matches(pod.metadata.labels) ? 1 : 0;
      for (const auto& node : snapshot.nodes()) {
        const std::string* value = LabelOf(node, constraint.topology_key);
        // Domains are the nodes the pod could go to by its node selector and affinity
        // (nodeAffinityPolicy Honor), whatever their taints (nodeTaintsPolicy Ignore).
        if (!value || !api::k8s::scheduling::MatchesNodeSelectorAndAffinity(pod, node.info)) {
          continue;
        }
        int64_t& n = counted.counts[*value];
        for (const auto& [key, usage] : node.pods) {
          const PlacedPod& placed = usage.placed;
          if (placed.terminating) continue;  // as upstream: going pods do not count
          if (placed.ns == pod.metadata.namespace_ && constraint.selector.Matches(placed.labels)) {
            ++n;
          }
        }
      }
      counted.min = INT64_MAX;
      for (const auto& [value, n] : counted.counts) counted.min = std::min(counted.min, n);
      if (counted.counts.empty()) counted.min = 0;
      s.push_back(std::move(counted));
    }
    state[Name()] = std::move(s);
  }

  std::optional<FilterFailure> Filter(const Pod&, const NodeState& node,
                                      const CycleState& state) const override {
    for (const auto& c : std::any_cast<const State&>(state.at(Name()))) {
      if (!c.constraint.do_not_schedule) continue;
      const std::string* value = LabelOf(node, c.constraint.topology_key);
      if (!value) {
        return FilterFailure{
            {"node(s) didn't match pod topology spread constraints (missing required label)"},
            true};
      }
      auto it = c.counts.find(*value);
      int64_t here = it == c.counts.end() ? 0 : it->second;
      if (here + c.self - c.min > c.constraint.max_skew) {
        return FilterFailure{{"node(s) didn't match pod topology spread constraints"}, false};
      }
    }
    return std::nullopt;
  }

  int ScoreWeight() const override { return 2; }
  // Matching pods already in the node's domains of the ScheduleAnyway constraints: fewer is
  // better.
  int64_t Score(const Pod&, const NodeState& node, const CycleState& state) const override {
    int64_t sum = 0;
    for (const auto& c : std::any_cast<const State&>(state.at(Name()))) {
      if (c.constraint.do_not_schedule) continue;
      const std::string* value = LabelOf(node, c.constraint.topology_key);
      if (!value) continue;
      auto it = c.counts.find(*value);
      sum += it == c.counts.end() ? 0 : it->second;
    }
    return sum;
  }
  // Upstream's: the emptiest domains score highest.
  void Normalize(std::vector<int64_t>& scores) const override {
    if (scores.empty()) return;
    auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
    int64_t min = *lo, max = *hi;
    for (auto& s : scores) s = max == 0 ? 100 : 100 * (max + min - s) / max;
  }
};

}  // namespace

std::unique_ptr<Plugin> NewInterPodAffinity() { return std::make_unique<InterPodAffinity>(); }
std::unique_ptr<Plugin> NewPodTopologySpread() { return std::make_unique<PodTopologySpread>(); }

}  // namespace capstan::control_plane::scheduler

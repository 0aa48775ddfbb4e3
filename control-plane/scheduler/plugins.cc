#include "control-plane/scheduler/plugins.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace capstan::control_plane::scheduler {
namespace {

namespace sched = api::k8s::scheduling;
using api::k8s::Pod;

FilterFailure Unresolvable(std::string reason) { return {{std::move(reason)}, true}; }

class NodeUnschedulable : public Plugin {
 public:
  std::string Name() const override { return "NodeUnschedulable"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    if (!node.info.unschedulable) return std::nullopt;
    if (sched::ToleratesTaint(pod.spec.tolerations,
                              {"node.kubernetes.io/unschedulable", "", "NoSchedule"})) {
      return std::nullopt;
    }
    return Unresolvable("node(s) were unschedulable");
  }
};

class NodeName : public Plugin {
 public:
  std::string Name() const override { return "NodeName"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    if (pod.spec.node_name.empty() || pod.spec.node_name == node.info.name) return std::nullopt;
    return Unresolvable("node(s) didn't match the requested node name");
  }
};

class TaintToleration : public Plugin {
 public:
  std::string Name() const override { return "TaintToleration"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    for (const auto& taint : node.info.taints) {
      if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
      if (sched::ToleratesTaint(pod.spec.tolerations, taint)) continue;
      return Unresolvable(
          fmt::format("node(s) had untolerated taint {{{}: {}}}", taint.key, taint.value));
    }
    return std::nullopt;
  }
  int ScoreWeight() const override { return 3; }
  // The PreferNoSchedule taints the pod does not tolerate: fewer is better.
  int64_t Score(const Pod& pod, const NodeState& node, const CycleState&) const override {
    std::vector<api::k8s::Toleration> prefer;
    for (const auto& t : pod.spec.tolerations) {
      if (t.effect.empty() || t.effect == "PreferNoSchedule") prefer.push_back(t);
    }
    int64_t count = 0;
    for (const auto& taint : node.info.taints) {
      if (taint.effect == "PreferNoSchedule" && !sched::ToleratesTaint(prefer, taint)) ++count;
    }
    return count;
  }
  void Normalize(std::vector<int64_t>& scores) const override {
    int64_t most = scores.empty() ? 0 : *std::max_element(scores.begin(), scores.end());
    for (auto& s : scores) s = most == 0 ? 100 : 100 - s * 100 / most;
  }
};

class NodeAffinity : public Plugin {
 public:
  std::string Name() const override { return "NodeAffinity"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    if (sched::MatchesNodeSelectorAndAffinity(pod, node.info)) return std::nullopt;
    return Unresolvable("node(s) didn't match Pod's node affinity/selector");
  }
  int ScoreWeight() const override { return 2; }
  // The weights of the preferred terms the node matches.
  int64_t Score(const Pod& pod, const NodeState& node, const CycleState&) const override {
    if (!pod.spec.affinity || !pod.spec.affinity->node_affinity) return 0;
    int64_t sum = 0;
    for (const auto& p : pod.spec.affinity->node_affinity->preferred) {
      if (p.weight != 0 && sched::MatchesNodeSelectorTerm(p.preference, node.info)) {
        sum += p.weight;
      }
    }
    return sum;
  }
  void Normalize(std::vector<int64_t>& scores) const override {
    int64_t most = scores.empty() ? 0 : *std::max_element(scores.begin(), scores.end());
    if (most == 0) return;
    for (auto& s : scores) s = s * 100 / most;
  }
};

class NodePorts : public Plugin {
 public:
  std::string Name() const override { return "NodePorts"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    if (!sched::HostPortsConflict(pod, node.host_ports)) return std::nullopt;
    return FilterFailure{{"node(s) didn't have free ports for the requested pod ports"}, false};
  }
};

int64_t Allocatable(const NodeState& node, const std::string& resource) {
  auto it = node.info.allocatable.find(resource);
  return it == node.info.allocatable.end() ? 0 : sched::ResourceAmount(resource, it->second);
}

class NodeResourcesFit : public Plugin {
 public:
  std::string Name() const override { return "NodeResourcesFit"; }
  std::optional<FilterFailure> Filter(const Pod& pod, const NodeState& node,
                                      const CycleState&) const override {
    FilterFailure failure;
    if (node.info.allocatable.contains("pods") && node.pod_count + 1 > Allocatable(node, "pods")) {
      failure.reasons.push_back("Too many pods");
    }
    auto wanted = sched::PodRequests(pod);
    for (const auto& [name, q] : wanted) {
      int64_t amount = sched::ResourceAmount(name, q);
      if (amount == 0) continue;
      // An extended resource a node does not advertise is left to whoever provides it.
      if (!node.info.allocatable.contains(name) && sched::IsExtendedResource(name)) continue;
      auto used = node.requested.find(name);
      int64_t in_use = used == node.requested.end() ? 0 : used->second;
      if (amount + in_use > Allocatable(node, name))
        failure.reasons.push_back("Insufficient " + name);
    }
    if (failure.reasons.empty()) return std::nullopt;
    return failure;
  }
  int ScoreWeight() const override { return 1; }
  // LeastAllocated: the share of cpu and memory left once the pod is placed.
  int64_t Score(const Pod& pod, const NodeState& node, const CycleState&) const override {
    auto pod_req = NonZeroRequestsOf(pod);
    auto left = [](int64_t requested, int64_t capacity) -> int64_t {
      if (capacity <= 0 || requested > capacity) return 0;
      return (capacity - requested) * 100 / capacity;
    };
    return (left(node.nonzero_cpu_milli + pod_req.cpu_milli, Allocatable(node, "cpu")) +
            left(node.nonzero_memory + pod_req.memory, Allocatable(node, "memory"))) /
           2;
  }
};

class BalancedAllocation : public Plugin {
 public:
  std::string Name() const override { return "NodeResourcesBalancedAllocation"; }
  int ScoreWeight() const override { return 1; }
  // 100 when cpu and memory would be used in the same proportion.
  int64_t Score(const Pod& pod, const NodeState& node, const CycleState&) const override {
    auto pod_req = NonZeroRequestsOf(pod);
    auto fraction = [](int64_t requested, int64_t capacity) {
      if (capacity <= 0) return 1.0;
      return std::min(1.0, static_cast<double>(requested) / static_cast<double>(capacity));
    };
    double cpu = fraction(node.nonzero_cpu_milli + pod_req.cpu_milli, Allocatable(node, "cpu"));
    double mem = fraction(node.nonzero_memory + pod_req.memory, Allocatable(node, "memory"));
    double std_dev = std::abs(cpu - mem) / 2;
    return static_cast<int64_t>((1 - std_dev) * 100);
  }
};

}  // namespace

std::vector<std::unique_ptr<Plugin>> DefaultPlugins() {
  std::vector<std::unique_ptr<Plugin>> plugins;
  plugins.push_back(std::make_unique<NodeUnschedulable>());
  plugins.push_back(std::make_unique<NodeName>());
  plugins.push_back(std::make_unique<TaintToleration>());
  plugins.push_back(std::make_unique<NodeAffinity>());
  plugins.push_back(std::make_unique<NodePorts>());
  plugins.push_back(std::make_unique<NodeResourcesFit>());
  plugins.push_back(NewPodTopologySpread());
  plugins.push_back(NewInterPodAffinity());
  plugins.push_back(std::make_unique<BalancedAllocation>());
  return plugins;
}

}  // namespace capstan::control_plane::scheduler

#include "kubelet/lifecycle/admission.h"

#include <fmt/format.h>

#include <map>

#include "api/k8s/codec.h"
#include "kubelet/podworkers/pod_workers.h"

namespace capstan::kubelet::lifecycle {
namespace {

using api::k8s::Pod;

using api::k8s::scheduling::IsExtendedResource;
using api::k8s::scheduling::MatchesNodeSelectorAndAffinity;
using api::k8s::scheduling::PodRequests;
using api::k8s::scheduling::ResourceAmount;
using api::k8s::scheduling::ToleratesTaint;

bool PortsConflict(const Pod& pod, const std::vector<Pod>& active) {
  api::k8s::scheduling::HostPortUse used;
  for (const auto& other : active) api::k8s::scheduling::AddHostPorts(other, used);
  return api::k8s::scheduling::HostPortsConflict(pod, used);
}

AdmitResult Reject(std::string reason, std::string message) {
  return {false, std::move(reason), std::move(message)};
}

AdmitResult Predicate(const std::string& name, const std::string& description) {
  return Reject(name, fmt::format("Predicate {} failed: {}", name, description));
}

std::optional<AdmitResult> CheckResources(const Pod& pod, const NodeInfo& node,
                                          const std::vector<Pod>& active) {
  auto insufficient = [](const std::string& resource, int64_t requested, int64_t used,
                         int64_t capacity) {
    return Reject("OutOf" + resource,
                  fmt::format("Node didn't have enough resource: {}, requested: {}, used: {}, "
                              "capacity: {}",
                              resource, requested, used, capacity));
  };
  if (auto it = node.allocatable.find("pods"); it != node.allocatable.end()) {
    int64_t allowed = it->second.Value();
    if (static_cast<int64_t>(active.size()) + 1 > allowed) {
      return insufficient("pods", 1, static_cast<int64_t>(active.size()), allowed);
    }
  }
  api::k8s::ResourceList wanted = PodRequests(pod);
  std::vector<std::string> order = {"cpu", "memory", "ephemeral-storage"};
  for (const auto& [name, q] : wanted) {
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage") order.push_back(name);
  }
  for (const auto& name : order) {
    auto w = wanted.find(name);
    if (w == wanted.end() || ResourceAmount(name, w->second) == 0) continue;
    auto cap = node.allocatable.find(name);
    if (cap == node.allocatable.end() && IsExtendedResource(name)) continue;
    int64_t capacity = cap == node.allocatable.end() ? 0 : ResourceAmount(name, cap->second);
    int64_t used = 0;
    for (const auto& other : active) {
      auto requests = PodRequests(other);
      if (auto o = requests.find(name); o != requests.end())
        used += ResourceAmount(name, o->second);
    }
    int64_t requested = ResourceAmount(name, w->second);
    if (requested + used > capacity) return insufficient(name, requested, used, capacity);
  }
  return std::nullopt;
}

}  // namespace

AdmitResult CanAdmitPod(const Pod& pod, const NodeInfo& node, const std::vector<Pod>& active) {
  if (auto os = pod.metadata.labels.find("kubernetes.io/os"); os != pod.metadata.labels.end()) {
    auto node_os = node.labels.find("kubernetes.io/os");
    std::string have = node_os == node.labels.end() ? "linux" : node_os->second;
    if (os->second != have) {
      return Reject("PodOSSelectorNodeLabelDoesNotMatch",
                    "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
    }
  }
  if (auto r = CheckResources(pod, node, active)) return *r;
  if (!MatchesNodeSelectorAndAffinity(pod, node)) {
    return Predicate("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
  }
  if (!pod.spec.node_name.empty() && pod.spec.node_name != node.name) {
    return Predicate("NodeName", "node(s) didn't match the requested node name");
  }
  if (PortsConflict(pod, active)) {
    return Predicate("NodePorts", "node(s) didn't have free ports for the requested pod ports");
  }
  if (!podworkers::IsStaticPod(pod)) {
    for (const auto& taint : node.taints) {
      if (taint.effect == "NoExecute" && !ToleratesTaint(pod.spec.tolerations, taint)) {
        return Predicate("TaintToleration", "node(s) had untolerated taint");
      }
    }
  }
  return {};
}

}  // namespace capstan::kubelet::lifecycle

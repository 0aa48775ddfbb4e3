#pragma once
// The rules by which a pod fits a node, shared by the scheduler (which picks the node) and
// the kubelet's admission (which re-checks the pick), as upstream shares them through
// k8s.io/component-helpers: node selectors and node affinity, taints and tolerations,
// resource requests, host ports.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/pod.h"

namespace capstan::api::k8s::scheduling {

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
};

// What fitting needs of a Node.
struct NodeInfo {
  std::string name;
  StringMap labels;
  std::vector<Taint> taints;
  ResourceList allocatable;
  bool unschedulable = false;  // spec.unschedulable (cordoned)
};

// The Node object's labels, spec.taints, spec.unschedulable and status.allocatable.
NodeInfo NodeInfoFromJson(const nlohmann::json& node);

// One nodeSelectorTerm: every expression and field matches (an empty term matches nothing).
bool MatchesNodeSelectorTerm(const NodeSelectorTerm& term, const NodeInfo& node);
// spec.nodeSelector and the required node affinity terms (any may match).
bool MatchesNodeSelectorAndAffinity(const Pod& pod, const NodeInfo& node);
bool ToleratesTaint(const std::vector<Toleration>& tolerations, const Taint& taint);

// A pod's effective requests: the larger of its containers' sum and any init container's.
ResourceList PodRequests(const Pod& pod);
// cpu in millicores, everything else in whole units, as upstream counts them.
int64_t ResourceAmount(const std::string& resource, const Quantity& q);
// Extended resources live under a domain other than kubernetes.io ("example.com/gpu").
bool IsExtendedResource(const std::string& resource);

// (protocol, hostPort) -> the host IPs that hold it ("0.0.0.0": all).
using HostPortUse = std::multimap<std::pair<std::string, int32_t>, std::string>;
void AddHostPorts(const Pod& pod, HostPortUse& used);
// Whether the pod wants a host port that `used` already holds.
bool HostPortsConflict(const Pod& pod, const HostPortUse& used);

}  // namespace capstan::api::k8s::scheduling

#pragma once
// The cluster as a scheduling cycle sees it: every node with what the pods assigned to it
// (those the informer shows bound and those this scheduler bound a moment ago, "assumed",
// before the informer caught up) request. The scheduler keeps one up to date as its
// informers report changes, as kube-scheduler's cache does, so a cycle costs the nodes it
// looks at, not a pass over every pod.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/pod.h"
#include "api/k8s/scheduling/node_fit.h"
#include "common/time.h"
#include "control-plane/scheduler/pod_affinity.h"

namespace capstan::control_plane::scheduler {

using Json = nlohmann::json;

// What inter-pod affinity and topology spreading need of a pod already on a node.
struct PlacedPod {
  std::string ns;
  api::k8s::StringMap labels;
  std::vector<PodAffinityTerm> required_anti_affinity;  // it keeps others away too
  bool terminating = false;                             // has a deletionTimestamp
  // For preemption: which pods may make room, and which of them matter most.
  int32_t priority = 0;
  WallTime started{};  // status.startTime, else creation
};

// Scoring's view of a pod's requests: cpu millicores and memory bytes, defaulted as
// upstream's NonZeroRequests.
struct NonZeroRequests {
  int64_t cpu_milli = 0;
  int64_t memory = 0;
};
NonZeroRequests NonZeroRequestsOf(const api::k8s::Pod& pod);

// What a pod takes from its node, worked out once.
struct PodUsage {
  std::string key;  // "namespace/name"
  std::string uid;
  PlacedPod placed;
  std::map<std::string, int64_t> requested;
  NonZeroRequests nonzero;
  api::k8s::scheduling::HostPortUse host_ports;
};
struct NodeState {
  api::k8s::scheduling::NodeInfo info;
  std::map<std::string, PodUsage> pods;  // by "namespace/name"
  int pod_count = 0;
  std::map<std::string, int64_t> requested;  // resource -> amount (cpu in millicores)
  // cpu and memory with upstream's defaults for containers that request none (100m,
  // 200Mi), for scoring only: so empty requests still spread pods.
  int64_t nonzero_cpu_milli = 0;
  int64_t nonzero_memory = 0;
  api::k8s::scheduling::HostPortUse host_ports;
};

PodUsage UsageOf(const api::k8s::Pod& pod);

// Counts a pod on a node (a copy, for a "what if" of preemption) or stops counting it.
void AddToNode(NodeState& node, const PodUsage& usage);
void RemoveFromNode(NodeState& node, const PodUsage& usage);

class Snapshot {
 public:
  // Adds the node, or refreshes what its Node object says (labels, taints, allocatable,
  // cordon) and keeps the pods counted on it. True when the node is new.
  bool SetNode(const Json& node);
  void AddNode(const Json& node) { SetNode(node); }
  void RemoveNode(const std::string& name);
  // Counts a pod on its node, or stops counting it (unknown nodes are ignored).
  void AddPod(const api::k8s::Pod& pod, const std::string& node_name) {
    AddUsage(UsageOf(pod), node_name);
  }
  void AddUsage(const PodUsage& usage, const std::string& node_name);
  void RemoveUsage(const PodUsage& usage, const std::string& node_name);
  std::vector<NodeState>& nodes() { return nodes_; }
  const std::vector<NodeState>& nodes() const { return nodes_; }
  // How many placed pods have required anti-affinity terms (none: a plugin may skip them).
  int64_t pods_with_anti_affinity() const { return pods_with_anti_affinity_; }

 private:
  std::vector<NodeState> nodes_;
  std::map<std::string, size_t> index_;
  int64_t pods_with_anti_affinity_ = 0;
};

}  // namespace capstan::control_plane::scheduler

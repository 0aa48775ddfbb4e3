#pragma once
// VolumeBinding, as kube-scheduler's plugin of that name, for claims that are bound or wait
// for their first consumer (the scheduler's UnreadyClaims turns away pods whose claims are
// missing or unbound and immediate before any node is looked at):
//   - a bound claim's PersistentVolume may restrict the nodes (spec.nodeAffinity, as local
//     volumes do): other nodes fail with "node(s) had volume node affinity conflict";
//   - a WaitForFirstConsumer claim needs, on the node, a free volume that fits it and whose
//     affinity allows the node, or a class with a provisioner; otherwise "node(s) didn't
//     find available persistent volumes to bind".
// Once a node is chosen, Assign says what to write before the pod is bound: the volumes to
// reserve for their claims (claimRef, which the PV controller completes), and the claims
// to annotate with the selected node for their provisioner.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control-plane/scheduler/plugins.h"

namespace capstan::control_plane::scheduler {

struct VolumeListers {
  std::function<std::optional<Json>(const std::string& ns, const std::string& name)> claim;
  std::function<std::optional<Json>(const std::string& name)> volume;
  std::function<std::vector<Json>()> volumes;
  std::function<std::optional<Json>(const std::string& name)> storage_class;
};

struct VolumeAssignment {
  std::vector<std::pair<Json, Json>> reserve;  // (volume, claim): claimRef to write
  std::vector<Json> provision;                 // claims to annotate with the node
};

class VolumeBindingPlugin : public Plugin {
 public:
  explicit VolumeBindingPlugin(VolumeListers listers) : listers_(std::move(listers)) {}
  std::string Name() const override { return "VolumeBinding"; }
  void PreFilter(const api::k8s::Pod& pod, const Snapshot& snapshot,
                 CycleState& state) const override;
  std::optional<FilterFailure> Filter(const api::k8s::Pod& pod, const NodeState& node,
                                      const CycleState& state) const override;
  // What to write for the pod's WaitForFirstConsumer claims on `node` (from the listers'
  // state now); nullopt when a claim no longer finds a volume there.
  std::optional<VolumeAssignment> Assign(const api::k8s::Pod& pod, const NodeState& node) const;

 private:
  VolumeListers listers_;
};

}  // namespace capstan::control_plane::scheduler

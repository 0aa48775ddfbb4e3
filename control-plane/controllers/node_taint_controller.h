#pragma once
// NodeTaintController: the taints that mirror a Node's conditions, as the node lifecycle
// controller's TaintNodesByCondition and TaintBasedEvictions passes keep them. NoSchedule
// ones keep new pods off a node under pressure or not ready (pods that tolerate the taint,
// as DaemonSet pods do, still land):
//   Ready False                 -> node.kubernetes.io/not-ready
//   Ready Unknown               -> node.kubernetes.io/unreachable
//   MemoryPressure True         -> node.kubernetes.io/memory-pressure
//   DiskPressure True           -> node.kubernetes.io/disk-pressure
//   PIDPressure True            -> node.kubernetes.io/pid-pressure
//   NetworkUnavailable True     -> node.kubernetes.io/network-unavailable
//   spec.unschedulable (cordon) -> node.kubernetes.io/unschedulable
// and a NoExecute not-ready or unreachable taint beside the NoSchedule one of a node not Ready,
// which the taint eviction controller acts on (pods tolerate it for 300 s by default).
// Only taints with these keys and effects are added or removed; every other taint is the
// user's and is kept. Written with the Node's resourceVersion: a conflict retries.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class NodeTaintController : public Controller {
 public:
  NodeTaintController(api::k8s::client::ApiClient* api, const Clock* clock,
                      api::k8s::client::Reflector* nodes);
  // key: the Node's name.
  Status Sync(const std::string& key) override;

 private:
  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& nodes_;
};

// The node's taints with the condition taints brought in line with its conditions (the
// order of the others kept, the added ones last, NoExecute ones stamped `now`). Exposed for
// tests.
Json TaintsForConditions(const Json& node, WallTime now);

}  // namespace capstan::control_plane::controllers

#pragma once
// ReplicaSetController: keeps spec.replicas pods of a ReplicaSet (or, with the same logic, a
// ReplicationController) running, as kube-controller-manager's replicaset controller does:
//   - pods are made from the template, owned by the set (controller reference), named
//     <set>-<5 random characters> by the API server;
//   - creations go in slow-start batches (1, 2, 4, ...) so a failing template costs one
//     request, not a hundred;
//   - surplus pods go in upstream's order (pending before running, not ready before
//     ready, newest first);
//   - orphans that match the selector are adopted; owned pods that no longer match are
//     released;
//   - status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
//     (minReadySeconds), observedGeneration; SuccessfulCreate/SuccessfulDelete events.

#include <memory>

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/labels.h"
#include "control-plane/controllers/controller.h"
#include "control-plane/controllers/expectations.h"

namespace capstan::control_plane::controllers {

class ReplicaSetController : public Controller {
 public:
  enum class Kind { kReplicaSet, kReplicationController };
  // `sets` lists and watches the kind's objects, `pods` every pod: informers shared with the
  // other controllers, started by their owner after every controller added its handlers.
  ReplicaSetController(api::k8s::client::ApiClient* api, const Clock* clock, Kind kind,
                       api::k8s::client::Reflector* sets, api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  void OnOrphanPod(const Json& pod);
  Status ManageReplicas(const Json& set, std::vector<Json>& pods, int64_t replicas);
  Status UpdateStatus(const Json& set, const std::vector<Json>& pods);
  // spec.selector: a LabelSelector for a ReplicaSet, a plain map for a ReplicationController.
  Result<api::k8s::LabelSelector> SelectorOf(const Json& set) const;

  api::k8s::client::ApiClient* api_;
  Kind kind_;
  api::k8s::client::Resource resource_;
  std::string kind_name_;  // "ReplicaSet", "ReplicationController"
  Expectations expectations_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& sets_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

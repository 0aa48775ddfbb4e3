#pragma once
// DisruptionController: keeps each PodDisruptionBudget's status, which pods/eviction reads,
// as kube-controller-manager's disruption controller does:
//   expectedPods    the pods the budget is about: with an integer minAvailable, the pods
//                   its selector matches; otherwise the replicas their controllers want
//                   (ReplicaSet, StatefulSet, ReplicationController; a bare pod counts 1);
//   desiredHealthy  minAvailable, or expectedPods - maxUnavailable (percentages of
//                   expectedPods rounded up);
//   currentHealthy  matching pods that are Ready, not going, and not just evicted;
//   disruptionsAllowed = max(0, currentHealthy - desiredHealthy), and the DisruptionAllowed
//   condition (SufficientPods / InsufficientPods). Evicted pods leave disruptedPods once
//   they are gone, or after 2 minutes.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class DisruptionController : public Controller {
 public:
  DisruptionController(api::k8s::client::ApiClient* api, const Clock* clock,
                       api::k8s::client::Reflector* budgets, api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  int64_t ExpectedPods(const std::vector<Json>& pods);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& budgets_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

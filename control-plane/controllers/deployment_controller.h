#pragma once
// DeploymentController: rolls a Deployment out through its ReplicaSets as
// kube-controller-manager's deployment controller does:
//   - one ReplicaSet per pod template, named <deployment>-<pod-template-hash>, the hash
//     also a label on it, its selector and its pods; never a new one for a scale;
//   - RollingUpdate within maxSurge and maxUnavailable (old sets scaled down only as far as
//     available pods allow), or Recreate (old pods gone before new ones start);
//   - revisions: deployment.kubernetes.io/revision on the sets and the Deployment, the
//     Deployment's annotations (kubernetes.io/change-cause) copied to the set, so kubectl's
//     rollout history and undo work; old sets beyond revisionHistoryLimit deleted;
//   - paused Deployments scale but do not roll out;
//   - status as `kubectl rollout status` reads it, with the Available and Progressing
//     conditions (progressDeadlineSeconds) and ScalingReplicaSet events.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class DeploymentController : public Controller {
 public:
  DeploymentController(api::k8s::client::ApiClient* api, const Clock* clock,
                       api::k8s::client::Reflector* deployments,
                       api::k8s::client::Reflector* replica_sets,
                       api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  void EnqueueOwnerOf(const Json& replica_set);
  Result<Json> NewReplicaSet(const Json& d, const std::vector<Json>& old_sets, bool create);
  // Sets rs's replicas (and bookkeeping annotations); `rs` becomes the stored version.
  Status Scale(const Json& d, Json& rs, int64_t replicas);
  Status RolloutRolling(const Json& d, Json new_rs, const std::vector<Json>& old_sets);
  Status RolloutRecreate(const Json& d, const std::vector<Json>& old_sets, bool create);
  Status ScaleForPause(const Json& d, const std::vector<Json>& sets);
  Status CleanupOldSets(const Json& d, const std::vector<Json>& old_sets);
  Status UpdateStatus(const Json& d, const Json* new_rs, const std::vector<Json>& all_sets);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& deployments_;
  api::k8s::client::Reflector& sets_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

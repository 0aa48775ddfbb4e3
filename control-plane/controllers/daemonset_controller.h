#pragma once
// DaemonSetController: a pod of the set on every node it should run on, as
// kube-controller-manager's daemonset controller keeps it:
//   - a node is eligible when the template's nodeName, nodeSelector and required node
//     affinity allow it and the template (with the tolerations every daemon pod gets:
//     not-ready, unreachable, the pressure taints, unschedulable) tolerates its NoSchedule
//     and NoExecute taints. A pod already there stays when only a NoSchedule taint came
//     since (upstream's shouldContinueRunning); an untolerated NoExecute taint removes it;
//   - pods are created for the scheduler with a required node affinity on the node's
//     metadata.name (upstream since 1.12), labelled with controller-revision-hash;
//   - failed pods are deleted and replaced; surplus pods on a node go, oldest kept;
//   - updates: RollingUpdate replaces old pods within maxUnavailable (or, with maxSurge,
//     starts the new pod beside the old and removes the old once the new is available);
//     OnDelete leaves old pods until someone deletes them;
//   - ControllerRevisions record the templates, so `kubectl rollout history/undo ds` work;
//   - status: the counts `kubectl get ds` and `rollout status ds` read.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/pod.h"
#include "api/k8s/scheduling/node_fit.h"
#include "control-plane/controllers/controller.h"
#include "control-plane/controllers/expectations.h"
#include "control-plane/controllers/failure_backoff.h"

namespace capstan::control_plane::controllers {

class DaemonSetController : public Controller {
 public:
  DaemonSetController(api::k8s::client::ApiClient* api, const Clock* clock,
                      api::k8s::client::Reflector* sets, api::k8s::client::Reflector* revisions,
                      api::k8s::client::Reflector* pods, api::k8s::client::Reflector* nodes);
  Status Sync(const std::string& key) override;

  // Where a daemon pod belongs: a new one may start on the node (should_run), one there
  // may stay (should_continue).
  struct Placement {
    bool should_run = false;
    bool should_continue = false;
  };
  static Placement PlacementOn(const api::k8s::scheduling::NodeInfo& node,
                               const api::k8s::Pod& daemon_pod);

 private:
  struct NodeState;  // one node's eligibility and the set's pods there
  void EnqueueAll();
  // `orphaned`: the set's pods held to nodes that no longer exist.
  Status Manage(const Json& set, const std::string& hash, std::vector<NodeState>& nodes,
                const std::vector<Json>& orphaned, bool& changed);
  Status RollingUpdate(const Json& set, const std::string& hash, std::vector<NodeState>& nodes);
  // Deletes and creates what Manage or RollingUpdate decided, under expectations.
  Status Act(const Json& set, const std::string& hash, const std::vector<Json>& to_delete,
             const std::vector<std::string>& create_on);
  Status CreateOn(const Json& set, const std::string& hash, const std::string& node);
  Status UpdateStatus(const Json& set, const std::string& hash,
                      const std::vector<NodeState>& nodes);

  api::k8s::client::ApiClient* api_;
  Expectations expectations_;
  FailureBackoff failures_;  // by "<set key>/<node>"
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& sets_;
  api::k8s::client::Reflector& revisions_;
  api::k8s::client::Reflector& pods_;
  api::k8s::client::Reflector& nodes_;
};

}  // namespace capstan::control_plane::controllers

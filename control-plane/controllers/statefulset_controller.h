#pragma once
// StatefulSetController: pods with stable names and storage, as kube-controller-manager's
// statefulset controller keeps them:
//   - pod <set>-<ordinal> for each ordinal below spec.replicas, with hostname = its name
//     and subdomain = spec.serviceName (the headless service gives it a stable DNS name),
//     labelled statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and
//     controller-revision-hash (the revision's name);
//   - a PersistentVolumeClaim <template>-<set>-<ordinal> per volumeClaimTemplate, made
//     before its pod and never deleted with it (the Retain policy, the default);
//   - OrderedReady: one pod at a time, ordinal 1 only once 0 is Running and Ready, scale-down
//     from the highest ordinal, one at a time; Parallel: all at once;
//   - failed pods are deleted and made again under the same name;
//   - RollingUpdate from the highest ordinal down to spec.updateStrategy.rollingUpdate
//     .partition, one pod at a time, each waiting for the last to be Ready; pods below the
//     partition (and new ones there) keep the current revision's template; OnDelete;
//   - ControllerRevisions for history and undo; status.currentRevision becomes the update
//     revision once every pod runs it and is ready.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class StatefulSetController : public Controller {
 public:
  StatefulSetController(api::k8s::client::ApiClient* api, const Clock* clock,
                        api::k8s::client::Reflector* sets, api::k8s::client::Reflector* revisions,
                        api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  struct Revisions;  // the current and update revisions of one sync
  // Makes the pods and claims match the spec; returns early (Ok) where an ordered set must
  // wait.
  Status Reconcile(const Json& set, const Revisions& revs, std::vector<Json>& pods);
  Status CreatePod(const Json& set, const Revisions& revs, int64_t ordinal);
  Status DeletePod(const Json& set, const Json& pod);
  Status UpdateStatus(const Json& set, const Revisions& revs, const std::vector<Json>& pods);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& sets_;
  api::k8s::client::Reflector& revisions_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

#pragma once
// EphemeralVolumeController: a pod's generic ephemeral volumes get their claims, as
// kube-controller-manager's ephemeral-volume controller makes them: named <pod>-<volume>,
// from the volume's volumeClaimTemplate, owned (controller: true) by the pod, so the garbage
// collector removes them with it. A claim by that name that the pod does not own is left
// alone; the kubelet then refuses the volume ("was not created for pod").

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class EphemeralVolumeController : public Controller {
 public:
  EphemeralVolumeController(api::k8s::client::ApiClient* api, const Clock* clock,
                            api::k8s::client::Reflector* pods, api::k8s::client::Reflector* claims);
  // Keys are pods' "<namespace>/<name>".
  Status Sync(const std::string& key) override;

 private:
  api::k8s::client::ApiClient* api_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& pods_;
  api::k8s::client::Reflector& claims_;
};

}  // namespace capstan::control_plane::controllers

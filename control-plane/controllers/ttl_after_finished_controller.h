#pragma once
// TtlAfterFinishedController: deletes a finished Job (Complete or Failed) once
// spec.ttlSecondsAfterFinished have passed since it finished, with its pods (foreground
// propagation), as kube-controller-manager's ttl-after-finished controller does. A Job
// whose time has not come is looked at again when it does.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class TtlAfterFinishedController : public Controller {
 public:
  TtlAfterFinishedController(api::k8s::client::ApiClient* api, const Clock* clock,
                             api::k8s::client::Reflector* jobs);
  Status Sync(const std::string& key) override;

 private:
  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& jobs_;
};

}  // namespace capstan::control_plane::controllers

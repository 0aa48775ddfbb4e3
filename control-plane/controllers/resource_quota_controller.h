#pragma once
// ResourceQuotaController: keeps each ResourceQuota's status (hard as its spec says, used
// as the namespace stands), which `kubectl describe quota` and `kubectl get quota` show, as
// kube-controller-manager's resource quota controller does. Counted:
//   pods, count/pods, requests.cpu|memory|ephemeral-storage (cpu and memory alone mean
//     requests), limits.cpu|memory|ephemeral-storage: over pods not Succeeded or Failed,
//     init containers as the scheduler counts them;
//   services, services.nodeports, services.loadbalancers, configmaps, secrets,
//     persistentvolumeclaims, requests.storage, replicationcontrollers, resourcequotas, and
//     count/<resource>[.<group>] for those.
// A quota is counted again when its pods change and at least every 30 s for the rest.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class ResourceQuotaController : public Controller {
 public:
  ResourceQuotaController(api::k8s::client::ApiClient* api, const Clock* clock,
                          api::k8s::client::Reflector* quotas, api::k8s::client::Reflector* pods);
  Status Sync(const std::string& key) override;

 private:
  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& quotas_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

#pragma once
// StorageProtectionController: lets a deleted claim or volume go only when nothing uses it,
// as kube-controller-manager's pvc-protection and pv-protection controllers do. A claim
// being deleted keeps its kubernetes.io/pvc-protection finalizer (and shows Terminating)
// while a pod placed on a node names it, until that pod is deleted (an ended pod still
// counts, as upstream); a volume being deleted keeps
// kubernetes.io/pv-protection while it is Bound.

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class StorageProtectionController : public Controller {
 public:
  StorageProtectionController(api::k8s::client::ApiClient* api, const Clock* clock,
                              api::k8s::client::Reflector* claims,
                              api::k8s::client::Reflector* volumes,
                              api::k8s::client::Reflector* pods);
  // Keys are "claim:<namespace>/<name>" and "volume:<name>".
  Status Sync(const std::string& key) override;

 private:
  bool ClaimInUse(const std::string& ns, const std::string& name);
  Status RemoveFinalizer(const api::k8s::client::Resource& resource, const Json& object,
                         const char* finalizer);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& claims_;
  api::k8s::client::Reflector& volumes_;
  api::k8s::client::Reflector& pods_;
};

}  // namespace capstan::control_plane::controllers

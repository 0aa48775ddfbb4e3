#pragma once
// GarbageCollector: deletes objects whose owners are gone, as kube-controller-manager's
// garbage collector does for background deletion: when a Deployment is deleted its
// ReplicaSets go, and with them their pods. An owner counts as gone only when a live GET
// confirms it (the informer may not have seen a new owner yet) or shows another object by
// that name (another uid). References to kinds this collector does not watch are never
// judged. Dependents with owners left lose only their dangling references.
//
// Deleting with propagationPolicy Orphan or Foreground leaves the owner terminating with the
// `orphan` or `foregroundDeletion` finalizer (capstan-server puts it there); the collector
// then strips the owner from its dependents, or deletes them and waits until they are gone,
// and removes the finalizer, which lets the deletion finish.

#include <map>

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class GarbageCollector : public Controller {
 public:
  // `informers`: the watched kinds by Kind ("Pod", "ReplicaSet", ...) with their resources;
  // every one is both a possible owner and a possible dependent.
  struct Watched {
    api::k8s::client::Resource resource;
    api::k8s::client::Reflector* informer;
  };
  GarbageCollector(api::k8s::client::ApiClient* api, const Clock* clock,
                   std::map<std::string, Watched> informers);
  // key: "<Kind>/<namespace>/<name>" of a possible dependent, or "owner/<Kind>/<ns>/<name>"
  // of an owner being deleted with a propagation finalizer.
  Status Sync(const std::string& key) override;

 private:
  Status SyncDependent(const std::string& kind, const std::string& ns, const std::string& name);
  Status FinalizeOwner(const std::string& kind, const std::string& ns, const std::string& name);
  // Every watched object with an ownerReference to `uid`, with its Kind.
  std::vector<std::pair<std::string, Json>> DependentsOf(const std::string& uid);
  void OnOwnerDeleted(const Json& owner);
  // Whether the owner named by `ref` exists (with that uid) in `ns`; nullopt: unknown kind.
  std::optional<bool> OwnerExists(const std::string& ns, const Json& ref);

  api::k8s::client::ApiClient* api_;
  std::map<std::string, Watched> informers_;
};

}  // namespace capstan::control_plane::controllers

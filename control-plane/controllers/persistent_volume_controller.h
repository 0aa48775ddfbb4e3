#pragma once
// PersistentVolumeController: binds claims to volumes and reclaims volumes whose claim is
// gone, as kube-controller-manager's persistentvolume-binder does.
//
// A claim without a volume gets the best match (volume_binding.h): the volume's claimRef,
// then its phase Bound, then the claim's volumeName, then the claim's phase Bound, each
// write a step a restart can resume from, in upstream's order. A claim nothing matches stays
// Pending with upstream's event, and is looked at again when a volume appears. A claim whose
// class is WaitForFirstConsumer waits for the scheduler's selected-node annotation; a claim
// of a class with a provisioner is annotated for that provisioner.
//
// A volume whose claim is gone is Released, then reclaimed by its policy: Retain keeps it;
// Delete and Recycle of a hostPath volume under /tmp remove or empty the directory (the
// in-tree hostPath plugin's rule; this controller runs on the server's host, which
// `capstan up` makes the node); a volume from an external provisioner is left to it; any
// other fails with upstream's event.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class PersistentVolumeController : public Controller {
 public:
  PersistentVolumeController(api::k8s::client::ApiClient* api, const Clock* clock,
                             api::k8s::client::Reflector* claims,
                             api::k8s::client::Reflector* volumes,
                             api::k8s::client::Reflector* classes);
  // Keys are "claim:<namespace>/<name>" and "volume:<name>".
  Status Sync(const std::string& key) override;

 private:
  Status SyncClaim(const std::string& ns, const std::string& name);
  Status SyncVolume(const std::string& name);
  Status WaitForVolume(const Json& claim);
  // The four writes of a binding; each skips what is already so.
  Status Bind(Json volume, Json claim);
  Status SetVolumePhase(const Json& volume, const std::string& phase,
                        const std::string& message = "");
  Status SetClaimPhase(const Json& claim, const std::string& phase);
  Status Reclaim(const Json& volume);
  // Claims a volume that appeared or freed up may serve (`volume` is its name).
  void EnqueuePendingClaims(const std::string& volume);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& claims_;
  api::k8s::client::Reflector& volumes_;
  api::k8s::client::Reflector& classes_;
  api::k8s::client::EventRecorder events_;
};

// Removes a hostPath volume's directory (`contents_only`: empties it), if it is below /tmp
// as the in-tree plugin requires. The error is upstream's when the path is elsewhere.
Status ScrubHostPath(const std::string& path, bool contents_only);

}  // namespace capstan::control_plane::controllers

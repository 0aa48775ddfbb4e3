#pragma once
// Which pods a controller owns, decided as upstream's PodControllerRefManager.ClaimPods
// decides it:
//   - pods it controls that still match its selector stay its own;
//   - pods it controls that no longer match are released (its reference removed);
//   - active orphans that match are adopted (its controller reference added, guarded by
//     the pod's resourceVersion), unless the owner is being deleted.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/labels.h"
#include "common/error.h"
#include "control-plane/controllers/expectations.h"

namespace capstan::control_plane::controllers {

// The pods `owner` owns afterwards, terminating and finished ones included.
Result<std::vector<nlohmann::json>> ClaimPods(api::k8s::client::ApiClient* api,
                                              const nlohmann::json& owner,
                                              const api::k8s::LabelSelector& selector,
                                              const api::k8s::client::Reflector& pods);

// Creates `pod` for `owner`, recording SuccessfulCreate (or FailedCreate) on the owner.
Status CreateOwnedPod(api::k8s::client::ApiClient* api, api::k8s::client::EventRecorder& events,
                      const nlohmann::json& owner, const nlohmann::json& pod);

// The keys ("namespace/name") of the owners in `owners` whose spec.selector (a
// LabelSelector) matches `pod`: who may adopt an orphan.
std::vector<std::string> OwnersSelecting(const api::k8s::client::Reflector& owners,
                                         const nlohmann::json& pod);

// Deletes `pods` of `owner` with SuccessfulDelete events. The caller has told
// `expectations` to await them; deletions that fail or are never tried are then settled
// here. A pod already gone is no failure.
Status DeleteOwnedPods(api::k8s::client::ApiClient* api, api::k8s::client::EventRecorder& events,
                       Expectations& expectations, const nlohmann::json& owner,
                       const std::vector<nlohmann::json>& pods);

// The pod event handler of a controller of `owner_kind` ("ReplicaSet", "DaemonSet"): a
// pod it controls wakes its owner (`enqueue` with "namespace/name") and settles
// expectations (created when seen, deleted once terminating or gone); a pod moved to
// another owner wakes the old one too; an orphan goes to `on_orphan`, which finds the
// owners whose selector matches it. `expectations` may be null (a controller that names
// its pods needs none).
api::k8s::client::EventHandler OwnedPodHandler(
    std::string owner_kind, Expectations* expectations,
    std::function<void(const std::string& key)> enqueue,
    std::function<void(const nlohmann::json& orphan)> on_orphan);

}  // namespace capstan::control_plane::controllers

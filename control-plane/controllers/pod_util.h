#pragma once
// What the workload controllers ask of pods and owners, as upstream's controller_utils and
// podutil answer it: a pod from a template with its controller reference, whether a pod is
// active, ready, available; the order in which surplus pods are deleted.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/client/api_client.h"
#include "common/time.h"

namespace capstan::control_plane::controllers {

using Json = nlohmann::json;

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
};

// The ownerReference with controller: true, if any.
std::optional<OwnerRef> ControllerRefOf(const Json& object);
// An ownerReference naming `owner` as controller (blockOwnerDeletion set, as upstream).
Json ControllerRefTo(const Json& owner);

// A pod for `template_` (a PodTemplateSpec) owned by `owner`: named <generate_prefix><5
// random characters> by the API server, labels, annotations and spec from the template.
Json PodFromTemplate(const Json& template_, const Json& owner, const std::string& generate_prefix);

// Not Succeeded, not Failed, not being deleted.
bool IsPodActive(const Json& pod);
bool IsPodReady(const Json& pod);
// Ready for at least min_ready_seconds.
bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, WallTime now);

// Sorts pods so the ones to delete first come first (upstream's ActivePods order): not yet
// on a node, then Pending before Unknown before Running, not ready before ready, ready for
// less time, more restarts, newer.
void SortForDeletion(std::vector<Json>& pods);

// Writes `status` to the object's status subresource; on a conflict (the cached copy was
// stale) reads the object again and retries once, as upstream's status updates do.
Status PutStatus(api::k8s::client::ApiClient* api, const api::k8s::client::Resource& resource,
                 const Json& object, const Json& status);

// An object's work-queue key, "namespace/name".
std::string KeyOf(const Json& object);

// A JSON string's value ("" for anything else).
std::string StringOf(const Json& v);

const Json& Field(const Json& object, std::initializer_list<const char*> path);
int64_t IntField(const Json& object, std::initializer_list<const char*> path, int64_t fallback);
// Whether the object has a deletionTimestamp (deleted, held by finalizers or grace).
bool BeingDeleted(const Json& object);

// A copy without null members, at any depth. A field sent as null means "unset", as when Go
// decodes it: `kubectl rollout undo` sends a template with `creationTimestamp: null`, and it
// must still hash and compare equal to the template it came from.
Json WithoutNulls(const Json& v);

}  // namespace capstan::control_plane::controllers

#pragma once
// ControllerRevisions: the template history of a DaemonSet (and later a StatefulSet), as
// upstream's controller history keeps it, so `kubectl rollout history` and `rollout undo`
// read and restore it. A revision is named <owner>-<hash>, labelled with the template's
// labels (kubectl finds them by the owner's selector) and controller-revision-hash, owned
// by its set, and carries the owner's annotations (change-cause) and a number; its data is
// the strategic merge patch that puts the template back.

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/client/api_client.h"
#include "api/k8s/client/reflector.h"
#include "common/error.h"

namespace capstan::control_plane::controllers {

inline constexpr const char* kControllerRevisionHashLabel = "controller-revision-hash";

// The revisions `owner` controls, oldest number first.
std::vector<nlohmann::json> OwnedRevisions(const api::k8s::client::Reflector& revisions,
                                           const nlohmann::json& owner);
int64_t RevisionNumber(const nlohmann::json& revision);

// The revision of the owner's current spec.template. A revision with the same data is
// reused (renumbered as the newest when it was older: a rollback); otherwise one is made
// with the next number. A name taken by different data is a hash collision: the owner's
// status.collisionCount goes up and the call fails, so the next sync hashes anew.
// `revisions` is updated to match what is stored.
Result<nlohmann::json> EnsureCurrentRevision(api::k8s::client::ApiClient* api,
                                             const api::k8s::client::Resource& owner_resource,
                                             const nlohmann::json& owner,
                                             std::vector<nlohmann::json>& revisions);

// Deletes the oldest revisions beyond `limit` that are not `live` (by name: the current
// and update revisions and those a pod still runs).
Status TruncateHistory(api::k8s::client::ApiClient* api,
                       const std::vector<nlohmann::json>& revisions,
                       const std::set<std::string>& live, int64_t limit);

// A revision's template (its data without the replace directive); null if it has none.
nlohmann::json TemplateOf(const nlohmann::json& revision);

}  // namespace capstan::control_plane::controllers

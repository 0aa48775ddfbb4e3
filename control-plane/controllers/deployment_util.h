#pragma once
// The parts of upstream's deployment util a Deployment's ReplicaSets are named and
// annotated by, so kubectl's rollout history, undo and status read them as on upstream.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::control_plane::controllers {

using Json = nlohmann::json;

inline constexpr const char* kPodTemplateHashLabel = "pod-template-hash";
inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kRevisionHistoryAnnotation =
    "deployment.kubernetes.io/revision-history";
inline constexpr const char* kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

// The pod-template-hash of a template: FNV-32a over its canonical form (and the collision
// count), written in upstream's safe alphabet ("7d4b9c8f5d"), so names look as they do on
// upstream, though the exact value differs (upstream hashes Go's printing of its struct).
std::string PodTemplateHash(const Json& template_, int64_t collision_count);

// Whether two pod templates are the same apart from the pod-template-hash label.
bool EqualIgnoringHash(const Json& a, const Json& b);

// A ReplicaSet's revision annotation (0 when absent or not a number).
int64_t RevisionOf(const Json& object);

// An int-or-percent field against `total` (a percent rounds up or down; anything else
// gives `fallback`).
int64_t ScaledValue(const Json& v, int64_t total, bool round_up, int64_t fallback);

// maxSurge / maxUnavailable: an int, or a percent of `replicas` (surge rounds up,
// unavailable down); both zero makes unavailable 1, as upstream.
std::pair<int64_t, int64_t> ResolveSurgeAndUnavailable(const Json& deployment);

// The annotations a Deployment hands its ReplicaSets (change-cause and the user's own),
// leaving out kubectl's last-applied configuration and the revision bookkeeping.
Json AnnotationsToCopy(const Json& deployment);

}  // namespace capstan::control_plane::controllers

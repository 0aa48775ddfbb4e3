#pragma once
// RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge member by member,
// null removes a member, anything else (arrays included) replaces the target wholesale.

#include <nlohmann/json.hpp>

namespace capstan::api::k8s::patch {

using Json = nlohmann::json;

// MergePatch(target, patch) exactly as RFC 7386 section 2 defines it: a non-object patch
// replaces the target (so `null` yields null), and members added from the patch have their
// own null members pruned. Never fails; the caller decides whether the result is an object.
Json ApplyMergePatch(const Json& target, const Json& patch);

}  // namespace capstan::api::k8s::patch

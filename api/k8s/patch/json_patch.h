#pragma once
// RFC 6902 JSON Patch, applied as kube-apiserver applies application/json-patch+json with
// evanphx/json-patch (v4): the parent of every target must exist ("add" does not create
// intermediate objects), "remove"/"replace" need an existing target, "-" appends to an array
// and, like evanphx, negative array indices count from the end. Errors are
// kInvalidArgument naming the operation and its path; the document is never half-patched
// (the caller's copy is untouched on error).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::api::k8s::patch {

using Json = nlohmann::json;

// RFC 6901: "" is the whole document, "/a/b~1c/~0d" is {"a", "b/c", "~d"}. A pointer must
// start with '/' and use only "~0" and "~1" escapes.
Result<std::vector<std::string>> ParseJsonPointer(std::string_view pointer);

// Applies `patch` (a list of operations) to `doc` in order and returns the result. The whole
// document cannot be the target of an operation (path ""), as with evanphx.
Result<Json> ApplyJsonPatch(const Json& doc, const Json& patch);

}  // namespace capstan::api::k8s::patch

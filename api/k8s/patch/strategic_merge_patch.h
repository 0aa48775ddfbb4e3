#pragma once
// Kubernetes strategic merge patch (application/strategic-merge-patch+json), applied as
// kube-apiserver applies it (strategicpatch.StrategicMergePatch in k8s.io/apimachinery):
//
//  - maps merge recursively; a null value deletes the key;
//  - lists of a field tagged patchStrategy "merge" merge by its patchMergeKey (lists of
//    primitives by value, e.g. finalizers); other lists, and maps tagged "replace", are
//    replaced wholesale;
//  - directives: {"$patch": "replace"} replaces the map it sits in, {"$patch": "delete"}
//    empties it; in a merging list, {"$patch": "delete", <key>: v} deletes the item(s) with
//    that key and {"$patch": "replace"} makes the list exactly the patch's other items;
//    "$retainKeys": [...] drops the original's keys not listed; "$deleteFromPrimitiveList/f":
//    [...] removes values from the primitive list f; "$setElementOrder/f": [...] orders the
//    merged list f (patch items as listed, items only on the server placed relative to them
//    as they were).
//
// The result of a merging list is ordered as upstream orders it, so kubectl apply's patches
// produce byte-identical objects.

#include <nlohmann/json.hpp>

#include "api/k8s/patch/patch_meta.h"
#include "common/error.h"

namespace capstan::api::k8s::patch {

using Json = nlohmann::json;

// Applies `patch` to `original` (both JSON objects) with `meta` describing the original's
// kind. A field `meta` does not describe has no strategy. Errors (kInvalidArgument) carry
// upstream's wording: a list item without its merge key, an unknown $patch value, a
// $setElementOrder list that contradicts the patch's order, a $retainKeys list that omits a
// patched key, lists of lists or of mixed types. `original` and `patch` are not modified.
Result<Json> ApplyStrategicMergePatch(const Json& original, const Json& patch,
                                      const PatchMeta& meta);

}  // namespace capstan::api::k8s::patch

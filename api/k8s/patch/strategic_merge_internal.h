#pragma once
// The pieces of the strategic merge patch shared by its map half (strategic_merge_patch.cc)
// and its list half (strategic_merge_list.cc). Internal to api/k8s/patch.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/k8s/patch/strategic_merge_patch.h"

namespace capstan::api::k8s::patch::smp {

inline constexpr std::string_view kDirective = "$patch";
inline constexpr std::string_view kRetainKeys = "$retainKeys";
inline constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";
inline constexpr std::string_view kSetElementOrder = "$setElementOrder";

// A JSON value's type as Go sees a decoded document: every number is one type (float64).
enum class Kind { kNull, kObject, kArray, kString, kNumber, kBool };
Kind KindOf(const Json& j);

// The kind shared by the elements of all `lists` (nullopt when they have none). Lists of
// lists and lists mixing kinds are errors, as upstream.
Result<std::optional<Kind>> ElementKind(std::initializer_list<const Json*> lists);

// A value copied from the patch into the result: nulls dropped from objects, objects that
// carry a $patch directive dropped, and directive keys removed (upstream's
// discardNullValuesFromPatch + removeDirectives). nullopt when the value itself is dropped.
std::optional<Json> Sanitize(const Json& value);

// Merges two objects (mergeMap); `type` describes `original`.
Result<Json> MergeMap(Json original, Json patch, const PatchMeta& type);

// Merges the list `patch` into the list `original` for a field with metadata `field`
// (mergeSliceHandler): merged by key or value when the field's strategy is merge (or when
// `delete_list`, for $deleteFromPrimitiveList), otherwise replaced by the patch.
Result<Json> MergeListField(Json original, const Json& patch, const FieldPatchMeta& field,
                            bool delete_list);

// Orders `merged` as $setElementOrder `order` says (mergePatchIntoOriginal's ordering step):
// items named in `order` in that order, the others placed relative to them as they stood in
// `server_order`.
Result<Json> OrderBySetElementOrder(const Json& merged, const Json& order, const Json& server_order,
                                    const std::string& merge_key, std::optional<Kind> kind);

// Checks that the patch list's items appear in `order` in the same relative order
// (validatePatchWithSetOrderList).
Status ValidateAgainstOrder(const Json& patch_list, const Json& order,
                            const std::string& merge_key);

// Error helpers worded as k8s.io/apimachinery/pkg/util/mergepatch's.
Error NoMergeKey(const Json& item, std::string_view key);
Error BadArgType(std::string_view want, const Json& got);
Error BadPatchType(const Json& directive, const Json& map);
Error Invalid(std::string message);

}  // namespace capstan::api::k8s::patch::smp

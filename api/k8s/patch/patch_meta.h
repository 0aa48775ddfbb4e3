#pragma once
// PatchMeta: what a strategic merge patch needs to know about a kind, per field: the
// `patchStrategy` and `patchMergeKey` struct tags of k8s.io/api's types.go. A PatchMeta node
// describes an object type; FieldPatchMeta describes one of its fields and points at the
// node of the field's type (for a list, of its items).
//
// The built-in kinds' nodes come from the schema (api/k8s/schema/), read from the
// x-kubernetes-patch-strategy and x-kubernetes-patch-merge-key of its OpenAPI definitions as
// upstream's NewPatchMetaFromOpenAPI does. An unlisted field has no strategy (maps merge
// recursively, lists are replaced), exactly what upstream does for an untagged field.
//
// Nodes are immutable and live for the whole program; pointers between them never dangle.

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace capstan::api::k8s::patch {

class PatchMeta;

struct FieldPatchMeta {
  bool merge = false;        // patchStrategy "merge": a list merged by merge_key (or by value)
  bool replace = false;      // patchStrategy "replace": a map replaced wholesale
  bool retain_keys = false;  // patchStrategy "retainKeys": the patch may carry $retainKeys
  std::string merge_key;     // patchMergeKey, for lists of objects
  const PatchMeta* type = nullptr;  // the value's (or list item's) type; null: nothing known

  // Builders for the tables: MergeList("name", &ContainerMeta()), MergeList() for primitive
  // lists, Object(&PodSpecMeta()), RetainKeys(), Replace().
  static FieldPatchMeta MergeList(std::string merge_key = "", const PatchMeta* item = nullptr);
  static FieldPatchMeta Object(const PatchMeta* type);
  static FieldPatchMeta RetainKeys(const PatchMeta* type = nullptr);
  static FieldPatchMeta Replace();
  // "merge,retainKeys" on a list: list items may carry $retainKeys.
  FieldPatchMeta WithRetainKeys() &&;
};

class PatchMeta {
 public:
  // "No metadata": what PatchMetaFor returns for a kind it does not know (e.g. a custom
  // resource), which kube-apiserver answers with 415 for strategic merge patches.
  PatchMeta() = default;
  PatchMeta(std::initializer_list<std::pair<const std::string, FieldPatchMeta>> fields);

  // False only for the "no metadata" node.
  bool known() const { return known_; }
  // The metadata of field `name`; an unlisted field has none (no strategy, unknown type).
  const FieldPatchMeta& Field(std::string_view name) const;
  // The node of field `name`'s type (the "no metadata" node when unknown).
  const PatchMeta& FieldType(std::string_view name) const;

  // The shared "no metadata" node.
  static const PatchMeta& Unknown();

 private:
  friend class SchemaPatchMeta;  // fills the nodes built from the schema

  bool known_ = false;
  std::map<std::string, FieldPatchMeta, std::less<>> fields_;
};

// The metadata of a built-in kind (group "" is core), or PatchMeta::Unknown(). Covers core/v1,
// apps/v1, batch/v1 and the other built-in groups capstan-server serves.
const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version,
                              std::string_view kind);

}  // namespace capstan::api::k8s::patch

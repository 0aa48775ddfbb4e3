#include "api/k8s/patch/patch_meta.h"

#include <map>
#include <memory>

#include "api/k8s/schema/schema.h"

namespace capstan::api::k8s::patch {

FieldPatchMeta FieldPatchMeta::MergeList(std::string merge_key, const PatchMeta* item) {
  FieldPatchMeta f;
  f.merge = true;
  f.merge_key = std::move(merge_key);
  f.type = item;
  return f;
}

FieldPatchMeta FieldPatchMeta::Object(const PatchMeta* type) {
  FieldPatchMeta f;
  f.type = type;
  return f;
}

FieldPatchMeta FieldPatchMeta::RetainKeys(const PatchMeta* type) {
  FieldPatchMeta f;
  f.retain_keys = true;
  f.type = type;
  return f;
}

FieldPatchMeta FieldPatchMeta::Replace() {
  FieldPatchMeta f;
  f.replace = true;
  return f;
}

FieldPatchMeta FieldPatchMeta::WithRetainKeys() && {
  retain_keys = true;
  return std::move(*this);
}

PatchMeta::PatchMeta(std::initializer_list<std::pair<const std::string, FieldPatchMeta>> fields)
    : known_(true), fields_(fields) {}

const PatchMeta& PatchMeta::Unknown() {
  static const PatchMeta kUnknown;
  return kUnknown;
}

const FieldPatchMeta& PatchMeta::Field(std::string_view name) const {
  static const FieldPatchMeta kNone;
  auto it = fields_.find(name);
  return it == fields_.end() ? kNone : it->second;
}

const PatchMeta& PatchMeta::FieldType(std::string_view name) const {
  const PatchMeta* t = Field(name).type;
  return t != nullptr ? *t : Unknown();
}

// Builds one PatchMeta node per schema definition, in two passes so that nodes can point at
// each other before they are filled.
class SchemaPatchMeta {
 public:
  SchemaPatchMeta() {
    const auto& defs = schema::Definitions();
    for (const auto& [name, def] : defs.items()) {
      auto node = std::make_unique<PatchMeta>();
      node->known_ = true;
      nodes_.emplace(name, std::move(node));
    }
    for (const auto& [name, def] : defs.items()) {
      auto props = def.find("properties");
      if (props == def.end()) continue;
      PatchMeta& node = *nodes_.at(name);
      for (const auto& [field, schema] : props->items()) {
        node.fields_.emplace(field, Field(schema));
      }
    }
  }

  const PatchMeta* Find(const std::string& definition) const {
    auto it = nodes_.find(definition);
    return it == nodes_.end() ? nullptr : it->second.get();
  }

 private:
  FieldPatchMeta Field(const nlohmann::json& schema) const {
    FieldPatchMeta f;
    // "merge", "retainKeys", "replace", or a comma-separated pair of them.
    std::string strategy = "," + schema.value("x-kubernetes-patch-strategy", "") + ",";
    f.merge = strategy.find(",merge,") != std::string::npos;
    f.retain_keys = strategy.find(",retainKeys,") != std::string::npos;
    f.replace = strategy.find(",replace,") != std::string::npos;
    f.merge_key = schema.value("x-kubernetes-patch-merge-key", "");
    // The value's type, or for a list its items' type; primitive definitions (Quantity, Time)
    // have no fields and are no node.
    const nlohmann::json* typed = &schema;
    auto items = schema.find("items");
    if (items != schema.end()) typed = &*items;
    std::string ref = schema::ReferencedDefinition(*typed);
    if (!ref.empty() && schema::Definitions().at(ref).contains("properties")) f.type = Find(ref);
    return f;
  }

  std::map<std::string, std::unique_ptr<PatchMeta>> nodes_;
};

const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version,
                              std::string_view kind) {
  static const SchemaPatchMeta nodes;
  std::string definition = schema::DefinitionFor(group, version, kind);
  const PatchMeta* node = definition.empty() ? nullptr : nodes.Find(definition);
  return node != nullptr ? *node : PatchMeta::Unknown();
}

}  // namespace capstan::api::k8s::patch

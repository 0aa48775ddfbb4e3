#include "api/k8s/schema/field_validation.h"

#include "api/k8s/schema/schema.h"

namespace capstan::api::k8s::schema {
namespace {

using Json = nlohmann::json;

// Limits the walk on hostile input: kube-apiserver's decoder refuses deeper nesting too.
constexpr int kMaxDepth = 100;

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void Walk(const Json& value, const Json& schema, const std::string& path, int depth,
          std::vector<std::string>& unknown) {
  if (depth > kMaxDepth) return;
  const Json* s = &schema;
  std::string ref = ReferencedDefinition(schema);
  if (!ref.empty()) {
    const auto& defs = Definitions();
    auto it = defs.find(ref);
    if (it == defs.end()) return;
    s = &*it;
  }
  bool open = s->value("x-kubernetes-preserve-unknown-fields", false);
  if (value.is_object()) {
    auto props = s->find("properties");
    auto additional = s->find("additionalProperties");
    for (const auto& [key, child] : value.items()) {
      if (props != s->end() && props->contains(key)) {
        Walk(child, (*props)[key], Join(path, key), depth + 1, unknown);
      } else if (additional != s->end()) {
        Walk(child, *additional, Join(path, key), depth + 1, unknown);
      } else if (props != s->end() && !open) {
        unknown.push_back(Join(path, key));
      }
    }
  } else if (value.is_array()) {
    auto items = s->find("items");
    if (items == s->end()) return;
    for (size_t i = 0; i < value.size(); ++i) {
      Walk(value[i], *items, path + "[" + std::to_string(i) + "]", depth + 1, unknown);
    }
  }
}

}  // namespace

std::vector<std::string> UnknownFields(const Json& object, std::string_view definition) {
  std::vector<std::string> unknown;
  const auto& defs = Definitions();
  auto it = defs.find(std::string(definition));
  if (it == defs.end()) return unknown;
  Walk(object, *it, "", 0, unknown);
  return unknown;
}

}  // namespace capstan::api::k8s::schema

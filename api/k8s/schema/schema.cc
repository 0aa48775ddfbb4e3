#include "api/k8s/schema/schema.h"

#include <map>
#include <set>
#include <tuple>

namespace capstan::api::k8s::schema {

// Defined in the generated schema_definitions.cc.
extern const std::string_view kDefinitionsJson;

namespace {

using Key = std::tuple<std::string, std::string, std::string>;

const std::map<Key, std::string>& KindIndex() {
  static const std::map<Key, std::string> index = [] {
    std::map<Key, std::string> out;
    for (const auto& [name, def] : Definitions().items()) {
      auto gvks = def.find("x-kubernetes-group-version-kind");
      if (gvks == def.end()) continue;
      for (const auto& gvk : *gvks) {
        out[{gvk.value("group", ""), gvk.value("version", ""), gvk.value("kind", "")}] = name;
      }
    }
    return out;
  }();
  return index;
}

void CollectReferences(const nlohmann::json& node, std::set<std::string>& out,
                       std::vector<std::string>& pending) {
  if (node.is_object()) {
    std::string ref = ReferencedDefinition(node);
    if (!ref.empty() && out.insert(ref).second) pending.push_back(ref);
    for (const auto& [key, value] : node.items()) CollectReferences(value, out, pending);
  } else if (node.is_array()) {
    for (const auto& value : node) CollectReferences(value, out, pending);
  }
}

}  // namespace

const nlohmann::json& Definitions() {
  static const nlohmann::json defs = nlohmann::json::parse(kDefinitionsJson);
  return defs;
}

std::string DefinitionFor(std::string_view group, std::string_view version, std::string_view kind) {
  const auto& index = KindIndex();
  auto it = index.find(Key{std::string(group), std::string(version), std::string(kind)});
  return it == index.end() ? "" : it->second;
}

std::string ReferencedDefinition(const nlohmann::json& schema) {
  constexpr std::string_view kPrefix = "#/definitions/";
  auto ref = schema.find("$ref");
  if (ref == schema.end() || !ref->is_string()) return "";
  const std::string& s = ref->get_ref<const std::string&>();
  return s.rfind(kPrefix, 0) == 0 ? s.substr(kPrefix.size()) : "";
}

std::vector<std::string> DefinitionClosure(const std::string& root) {
  const auto& defs = Definitions();
  std::set<std::string> seen = {root};
  std::vector<std::string> pending = {root};
  while (!pending.empty()) {
    std::string name = pending.back();
    pending.pop_back();
    auto it = defs.find(name);
    if (it != defs.end()) CollectReferences(*it, seen, pending);
  }
  return {seen.begin(), seen.end()};
}

}  // namespace capstan::api::k8s::schema

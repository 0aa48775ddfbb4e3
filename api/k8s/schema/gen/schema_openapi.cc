#include "api/k8s/schema/gen/schema_openapi.h"

namespace capstan::api::k8s::schema {
namespace {

using Json = nlohmann::json;

// Primitives that upstream names as definitions of their own, so that kubectl explain prints
// <Quantity>, <IntOrString> and <Time> as it does against kube-apiserver.
struct NamedPrimitive {
  const char* primitive;
  const char* definition;
  const char* type;
  const char* format;
  const char* description;
};
constexpr NamedPrimitive kNamedPrimitives[] = {
    {"quantity", "io.k8s.apimachinery.pkg.api.resource.Quantity", "string", "quantity",
     "A fixed-point number with an optional suffix: 100m, 1.5, 64Mi, 2G."},
    {"int-or-string", "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "string", "int-or-string",
     "An integer or a string, e.g. a port number or its name, or 25%."},
    {"time", "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "string", "date-time",
     "A timestamp in RFC 3339 form, UTC, in seconds."},
};

Json Ref(const std::string& definition) { return {{"$ref", "#/definitions/" + definition}}; }

Json TypeSchema(const TypeRef& t) {
  switch (t.shape) {
    case TypeRef::Shape::kList: return {{"type", "array"}, {"items", TypeSchema(t.Element())}};
    case TypeRef::Shape::kMap:
      return {{"type", "object"}, {"additionalProperties", TypeSchema(t.Element())}};
    case TypeRef::Shape::kNamed: return Ref(t.name);
    case TypeRef::Shape::kPrimitive: break;
  }
  for (const auto& p : kNamedPrimitives) {
    if (t.name == p.primitive) return Ref(p.definition);
  }
  if (t.name == "int32" || t.name == "int64") {
    return {{"type", "integer"}, {"format", t.name}};
  }
  if (t.name == "bool") return {{"type", "boolean"}};
  if (t.name == "number") return {{"type", "number"}, {"format", "double"}};
  if (t.name == "bytes") return {{"type", "string"}, {"format", "byte"}};
  if (t.name == "object") {
    return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
  if (t.name == "any") return {{"x-kubernetes-preserve-unknown-fields", true}};
  return {{"type", "string"}};
}

Json FieldSchema(const FieldDef& f) {
  Json s = TypeSchema(f.type);
  s["description"] = f.description;
  if (f.default_json) s["default"] = Json::parse(*f.default_json);
  if (!f.enum_values.empty()) s["enum"] = f.enum_values;
  if (!f.patch_strategy.empty()) s["x-kubernetes-patch-strategy"] = f.patch_strategy;
  if (!f.patch_merge_key.empty()) s["x-kubernetes-patch-merge-key"] = f.patch_merge_key;
  if (!f.list_type.empty()) s["x-kubernetes-list-type"] = f.list_type;
  if (!f.list_map_keys.empty()) s["x-kubernetes-list-map-keys"] = f.list_map_keys;
  return s;
}

}  // namespace

Json OpenApiDefinitions(const SchemaModel& model) {
  Json defs = Json::object();
  for (const auto& p : kNamedPrimitives) {
    defs[p.definition] = {{"type", p.type}, {"format", p.format}, {"description", p.description}};
  }
  for (const auto& [name, type] : model.types) {
    Json props = Json::object();
    Json required = Json::array();
    for (const auto& f : type.fields) {
      props[f.name] = FieldSchema(f);
      if (f.required) required.push_back(f.name);
    }
    Json d = {{"description", type.description}, {"type", "object"}, {"properties", props}};
    if (!required.empty()) d["required"] = required;
    if (type.open) d["x-kubernetes-preserve-unknown-fields"] = true;
    if (type.group_version) {
      d["x-kubernetes-group-version-kind"] = Json::array({{{"group", type.group_version->first},
                                                           {"version", type.group_version->second},
                                                           {"kind", type.name}}});
    }
    defs[name] = std::move(d);
  }
  return defs;
}

}  // namespace capstan::api::k8s::schema

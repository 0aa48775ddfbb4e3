#include "control-plane/apiserver/openapi.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "api/k8s/schema/schema.h"
#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver {
namespace {

// The schema name kube-apiserver uses: io.k8s.api.apps.v1.Deployment.
std::string DefinitionName(const ResourceInfo& r) {
  std::string group = r.group.empty() ? "core" : r.group;
  if (group.find('.') != std::string::npos) {
    // rbac.authorization.k8s.io -> rbac; networking.k8s.io -> networking
    group = group.substr(0, group.find('.'));
  }
  return fmt::format("io.k8s.api.{}.{}.{}", group, r.version, r.kind);
}

Json Param(const char* name, const char* description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"type", "string"},
          {"uniqueItems", true}};
}

Json Operation(const ResourceInfo& r, const std::string& action, const std::string& ref, bool v3) {
  Json op = {{"description", action + " " + r.kind},
             {"operationId", action + r.kind},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind",
              {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}}};
  if (action == "post" || action == "put" || action == "patch") {
    Json params = Json::array({Param("dryRun", "dry run"), Param("fieldManager", "manager"),
                               Param("fieldValidation", "field validation")});
    if (v3) {
      for (auto& p : params) {
        p["schema"] = {{"type", "string"}};
        p.erase("type");
      }
    }
    op["parameters"] = params;
  }
  if (v3) {
    op["responses"] = {
        {"200",
         {{"description", "OK"},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + ref}}}}}}}}}};
  } else {
    op["responses"] = {
        {"200", {{"description", "OK"}, {"schema", {{"$ref", "#/definitions/" + ref}}}}}};
  }
  return op;
}

std::string CollectionPath(const ResourceInfo& r) {
  std::string base = r.group.empty() ? "/api/" + r.version : "/apis/" + r.GroupVersion();
  return r.namespaced ? base + "/namespaces/{namespace}/" + r.plural : base + "/" + r.plural;
}

// A kind's schema lives in the generated definitions (api/k8s/schema/), with its
// x-kubernetes-group-version-kind, so kubectl explains it and computes apply patches from its
// merge keys. A kind the schema does not describe gets a loose schema without a
// group-version-kind: kubectl then falls back to its own built-in types.
Json LooseSchema(const ResourceInfo& r) {
  if (r.custom_schema) return *r.custom_schema;
  return {{"description", r.kind + " (" + r.GroupVersion() + ")"},
          {"type", "object"},
          {"x-kubernetes-preserve-unknown-fields", true}};
}

// OpenAPI v3 references: "#/components/schemas/X", and a reference with siblings
// (description, default, patch extensions) wrapped in allOf, as kube-apiserver publishes them.
Json ToV3(const Json& node) {
  if (node.is_array()) {
    Json out = Json::array();
    for (const auto& v : node) out.push_back(ToV3(v));
    return out;
  }
  if (!node.is_object()) return node;
  Json out = Json::object();
  for (const auto& [k, v] : node.items()) {
    if (k != "$ref") out[k] = ToV3(v);
  }
  std::string ref = api::k8s::schema::ReferencedDefinition(node);
  if (ref.empty()) return out;
  Json target = {{"$ref", "#/components/schemas/" + ref}};
  if (out.empty()) return target;
  out["allOf"] = Json::array({target});
  return out;
}

// Adds the paths of `r` and its schema, with every definition it references, to the document.
void AddPaths(const ResourceInfo& r, Json& paths, Json& schemas, bool v3) {
  std::string ref = r.custom ? "" : api::k8s::schema::DefinitionFor(r.group, r.version, r.kind);
  if (ref.empty()) {
    ref = DefinitionName(r);
    schemas[ref] = LooseSchema(r);
  } else {
    const Json& defs = api::k8s::schema::Definitions();
    for (const auto& name : api::k8s::schema::DefinitionClosure(ref)) {
      if (!schemas.contains(name)) schemas[name] = v3 ? ToV3(defs.at(name)) : defs.at(name);
    }
  }
  // Only the operations the kind serves (discovery's verbs): a review kind is create-only,
  // metrics are get and list.
  auto serves = [&](const char* verb) {
    return std::find(r.verbs.begin(), r.verbs.end(), verb) != r.verbs.end();
  };
  std::string collection = CollectionPath(r);
  if (serves("list")) paths[collection]["get"] = Operation(r, "list", ref, v3);
  if (serves("create")) paths[collection]["post"] = Operation(r, "post", ref, v3);
  std::string item = collection + "/{name}";
  if (serves("get")) paths[item]["get"] = Operation(r, "get", ref, v3);
  if (serves("update")) paths[item]["put"] = Operation(r, "put", ref, v3);
  if (serves("patch")) paths[item]["patch"] = Operation(r, "patch", ref, v3);
  if (serves("delete")) paths[item]["delete"] = Operation(r, "delete", ref, v3);
}

std::string Hash(const std::string& s) {
  return fmt::format("{:016X}", std::hash<std::string>{}(s));
}

}  // namespace

std::string OpenApiV2Protobuf() {
  // Length-delimited fields: tag (number << 3 | 2), length, bytes; every part is short.
  auto field = [](int number, const std::string& bytes) {
    return std::string(1, static_cast<char>(number << 3 | 2)) +
           std::string(1, static_cast<char>(bytes.size())) + bytes;
  };
  std::string info = field(1, "Kubernetes") + field(2, "capstan");
  return field(1, "2.0") + field(2, info);
}

bool ServeOpenApi(const std::string& path, const ResourceRegistry& registry,
                  ResponseWriter& writer) {
  auto all = registry.All();
  if (path == "/openapi/v2") {
    Json paths = Json::object(), defs = Json::object();
    for (const auto& r : all) AddPaths(*r, paths, defs, false);
    Json doc = {{"swagger", "2.0"},
                {"info", {{"title", "Kubernetes"}, {"version", "capstan"}}},
                {"paths", paths},
                {"definitions", defs}};
    writer.Respond(200, "application/json", doc.dump());
    return true;
  }
  if (path == "/openapi/v3") {
    Json paths = Json::object();
    for (const auto& [group, versions] : registry.Groups()) {
      for (const auto& v : versions) {
        std::string gv = group.empty() ? "api/" + v : "apis/" + group + "/" + v;
        paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + Hash(gv)}};
      }
    }
    writer.Respond(200, "application/json", Json{{"paths", paths}}.dump());
    return true;
  }
  const std::string prefix = "/openapi/v3/";
  if (path.rfind(prefix, 0) == 0) {
    std::string gv = path.substr(prefix.size());
    Json paths = Json::object(), schemas = Json::object();
    bool found = false;
    for (const auto& r : all) {
      std::string mine =
          r->group.empty() ? "api/" + r->version : "apis/" + r->group + "/" + r->version;
      if (mine != gv) continue;
      found = true;
      AddPaths(*r, paths, schemas, true);
    }
    if (!found) return false;
    Json doc = {{"openapi", "3.0.0"},
                {"info", {{"title", "Kubernetes"}, {"version", "capstan"}}},
                {"paths", paths},
                {"components", {{"schemas", schemas}}}};
    writer.Respond(200, "application/json", doc.dump());
    return true;
  }
  return false;
}

}  // namespace capstan::control_plane::apiserver

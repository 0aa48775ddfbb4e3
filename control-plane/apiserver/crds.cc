#include "control-plane/apiserver/crds.h"

#include <fmt/format.h>

#include "common/log.h"

namespace capstan::control_plane::apiserver {
namespace {

const log::Logger kLog("crds");

std::vector<std::string> Strings(const Json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& v : list) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string TypeName(const Json& v) {
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  return "null";
}

bool TypeMatches(const std::string& want, const Json& v) {
  if (want.empty()) return true;
  std::string have = TypeName(v);
  return want == have || (want == "number" && have == "integer");
}

}  // namespace

std::vector<ResourceInfo> ResourcesOfCrd(const Json& crd) {
  std::vector<ResourceInfo> out;
  const Json& spec = crd.value("spec", Json::object());
  const Json& names = spec.value("names", Json::object());
  for (const auto& v : spec.value("versions", Json::array())) {
    if (!v.value("served", false)) continue;
    ResourceInfo r;
    r.group = StringOr(spec.value("group", Json()));
    r.version = StringOr(v.value("name", Json()));
    r.kind = StringOr(names.value("kind", Json()));
    r.plural = StringOr(names.value("plural", Json()));
    r.singular = StringOr(names.value("singular", Json()));
    if (r.singular.empty()) {
      r.singular = r.kind;
      for (auto& ch : r.singular) ch = static_cast<char>(::tolower(ch));
    }
    r.short_names = Strings(names.value("shortNames", Json()));
    r.categories = Strings(names.value("categories", Json()));
    r.namespaced = StringOr(spec.value("scope", Json()), "Namespaced") == "Namespaced";
    r.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    const Json& subs = v.value("subresources", Json::object());
    if (subs.contains("status")) r.subresources.push_back("status");
    if (subs.contains("scale")) r.subresources.push_back("scale");
    for (const auto& c : v.value("additionalPrinterColumns", Json::array())) {
      r.custom_columns.push_back({StringOr(c.value("name", Json())),
                                  StringOr(c.value("type", Json()), "string"),
                                  StringOr(c.value("jsonPath", Json())),
                                  static_cast<int>(IntOr(c.value("priority", Json()), 0)),
                                  StringOr(c.value("description", Json()))});
    }
    const Json& schema = Lookup(v, {"schema", "openAPIV3Schema"});
    if (schema.is_object()) r.custom_schema = std::make_shared<const Json>(schema);
    if (!r.group.empty() && !r.version.empty() && !r.kind.empty() && !r.plural.empty()) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

void LoadCrds(ResourceRegistry& resources, Registry& registry) {
  auto crds = resources.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return;
  auto list = registry.List(*crds, {});
  if (!list) return;
  for (const auto& crd : (*list)["items"]) ApplyCrdChange(resources, registry, crd, false);
}

void ApplyCrdChange(ResourceRegistry& resources, Registry& registry, const Json& crd,
                    bool deleted) {
  std::string group = StringOr(Lookup(crd, {"spec", "group"}));
  std::string plural = StringOr(Lookup(crd, {"spec", "names", "plural"}));
  bool terminating = !Lookup(crd, {"metadata", "deletionTimestamp"}).is_null();
  std::vector<ResourceInfo> served = ResourcesOfCrd(crd);
  if (deleted || terminating) {
    // Its objects go with it (upstream's customresourcecleanup finalizer).
    if (!served.empty()) {
      std::string prefix = served.front().StoragePrefix();
      auto items = registry.store()->List(prefix, {});
      if (items) {
        for (const auto& kv : items->items) registry.store()->Delete(kv.key, 0);
      }
    }
    resources.RemoveCustom(group, plural);
    kLog.Info("custom resource removed", {{"resource", plural + "." + group}});
    return;
  }
  resources.RemoveCustom(group, plural);
  for (auto& r : served) resources.AddCustom(std::move(r));
  kLog.Info("custom resource served", {{"resource", plural + "." + group}});
}

std::vector<FieldCause> ValidateAgainstSchema(const Json& schema, const Json& value,
                                              const std::string& path) {
  std::vector<FieldCause> out;
  if (!schema.is_object()) return out;
  std::string type = StringOr(schema.value("type", Json()));
  if (value.is_null()) {
    if (schema.value("nullable", false) == false && !type.empty()) {
      out.push_back(
          Invalid(path, value, fmt::format("{} in body must be of type {}: \"null\"", path, type)));
    }
    return out;
  }
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!value.is_string() && !value.is_number_integer()) {
      out.push_back(Invalid(path, value, "must be an integer or a string"));
    }
    return out;
  }
  if (!TypeMatches(type, value)) {
    out.push_back(
        Invalid(path, value,
                fmt::format("{} in body must be of type {}: \"{}\"", path, type, TypeName(value))));
    return out;
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    bool found = false;
    std::vector<std::string> valid;
    for (const auto& e : schema["enum"]) {
      found = found || e == value;
      valid.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
    if (!found) out.push_back(NotSupported(path, value, valid));
  }
  if (value.is_number()) {
    double d = value.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>()) {
      out.push_back(Invalid(path, value,
                            fmt::format("{} in body should be greater than or equal to {}", path,
                                        schema["minimum"].dump())));
    }
    if (schema.contains("maximum") && d > schema["maximum"].get<double>()) {
      out.push_back(Invalid(path, value,
                            fmt::format("{} in body should be less than or equal to {}", path,
                                        schema["maximum"].dump())));
    }
  }
  if (value.is_string() && schema.contains("maxLength") &&
      value.get<std::string>().size() > schema["maxLength"].get<size_t>()) {
    out.push_back(
        {"FieldValueTooLong", path,
         fmt::format("Too long: may not be more than {} bytes", schema["maxLength"].dump())});
  }
  if (value.is_object()) {
    const Json& props = schema.value("properties", Json::object());
    for (const auto& req : schema.value("required", Json::array())) {
      if (req.is_string() && !value.contains(req.get<std::string>())) {
        out.push_back(
            Required(path.empty() ? req.get<std::string>() : path + "." + req.get<std::string>()));
      }
    }
    for (const auto& [k, v] : value.items()) {
      std::string child = path.empty() ? k : path + "." + k;
      if (props.contains(k)) {
        for (auto& c : ValidateAgainstSchema(props[k], v, child)) out.push_back(std::move(c));
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"].is_object()) {
        for (auto& c : ValidateAgainstSchema(schema["additionalProperties"], v, child)) {
          out.push_back(std::move(c));
        }
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      for (auto& c :
           ValidateAgainstSchema(schema["items"], value[i], fmt::format("{}[{}]", path, i))) {
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

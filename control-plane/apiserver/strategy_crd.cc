// CustomResourceDefinitions: accepted names and the Established condition at once (there
// is no name conflict check across CRDs yet beyond the object name), storedVersions, and the
// checks upstream's ValidateCustomResourceDefinition makes on names and versions.

#include <fmt/format.h>

#include "api/k8s/meta.h"
#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

Json Condition(const char* type, const char* reason, const char* message) {
  return {{"type", type},
          {"status", "True"},
          {"reason", reason},
          {"message", message},
          {"lastTransitionTime", api::k8s::FormatTime(WallNow())}};
}

void SetStatus(Json& obj) {
  const Json& spec = obj.value("spec", Json::object());
  Json stored = Json::array();
  for (const auto& v : spec.value("versions", Json::array())) {
    if (v.value("storage", false)) stored.push_back(v.value("name", Json()));
  }
  Json previous = Lookup(obj, {"status", "storedVersions"});
  if (previous.is_array()) {
    for (const auto& v : previous) {
      if (std::find(stored.begin(), stored.end(), v) == stored.end()) stored.push_back(v);
    }
  }
  obj["status"] = {
      {"acceptedNames", spec.value("names", Json::object())},
      {"storedVersions", stored},
      {"conditions",
       {Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
        Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")}}};
}

}  // namespace

void CrdStrategy::PrepareForCreate(Json& obj) const { SetStatus(obj); }
void CrdStrategy::PrepareForUpdate(Json& obj, const Json& old) const {
  obj["status"] = old.value("status", Json::object());
  SetStatus(obj);
}

std::vector<FieldCause> CrdStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json::object());
  std::string group = StringOr(spec.value("group", Json()));
  std::string plural = StringOr(Lookup(spec, {"names", "plural"}));
  std::string kind = StringOr(Lookup(spec, {"names", "kind"}));
  if (group.empty()) out.push_back(Required("spec.group"));
  if (plural.empty()) out.push_back(Required("spec.names.plural"));
  if (kind.empty()) out.push_back(Required("spec.names.kind"));
  std::string scope = StringOr(spec.value("scope", Json()));
  if (scope != "Namespaced" && scope != "Cluster") {
    out.push_back(NotSupported("spec.scope", scope, {"Cluster", "Namespaced"}));
  }
  std::string name = MetaString(obj, "name");
  if (!plural.empty() && !group.empty() && name != plural + "." + group) {
    out.push_back(Invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
  }
  const Json& versions = spec.value("versions", Json::array());
  if (!versions.is_array() || versions.empty()) {
    out.push_back(
        Required("spec.versions", "must have exactly one version marked as storage version"));
  } else {
    int storage = 0;
    for (const auto& v : versions) storage += v.value("storage", false) ? 1 : 0;
    if (storage != 1) {
      out.push_back(Invalid("spec.versions", versions.size(),
                            "must have exactly one version marked as storage version"));
    }
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

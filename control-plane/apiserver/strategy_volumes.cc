// PersistentVolumes and PersistentVolumeClaims (pkg/apis/core/validation's
// ValidatePersistentVolume / ValidatePersistentVolumeClaim), and Ingresses.

#include <fmt/format.h>

#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

void SetIfAbsent(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

const std::vector<std::string> kAccessModes = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                               "ReadWriteOncePod"};

void ValidateAccessModes(const Json& modes, const std::string& field,
                         std::vector<FieldCause>& out) {
  if (!modes.is_array() || modes.empty()) {
    out.push_back(Required(field));
    return;
  }
  for (const auto& m : modes) {
    std::string v = StringOr(m);
    if (std::find(kAccessModes.begin(), kAccessModes.end(), v) == kAccessModes.end()) {
      out.push_back(NotSupported(field, m, kAccessModes));
    }
  }
}

// The volume sources a PersistentVolume may name (one of them).
const char* const kPvSources[] = {"hostPath",
                                  "nfs",
                                  "csi",
                                  "local",
                                  "iscsi",
                                  "fc",
                                  "rbd",
                                  "cephfs",
                                  "flexVolume",
                                  "azureFile",
                                  "azureDisk",
                                  "gcePersistentDisk",
                                  "awsElasticBlockStore",
                                  "cinder",
                                  "glusterfs",
                                  "vsphereVolume",
                                  "quobyte",
                                  "portworxVolume",
                                  "scaleIO",
                                  "storageos",
                                  "photonPersistentDisk",
                                  "flocker"};

}  // namespace

void PersistentVolumeStrategy::PrepareForCreate(Json& obj) const {
  Json& spec = obj["spec"];
  if (spec.is_object()) {
    SetIfAbsent(spec, "persistentVolumeReclaimPolicy", "Retain");
    SetIfAbsent(spec, "volumeMode", "Filesystem");
  }
  obj["status"] = {{"phase", "Pending"}};
}

std::vector<FieldCause> PersistentVolumeStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json::object());
  const Json& capacity = spec.value("capacity", Json());
  if (!capacity.is_object() || !capacity.contains("storage")) {
    out.push_back(Required("spec.capacity"));
  }
  ValidateAccessModes(spec.value("accessModes", Json()), "spec.accessModes", out);
  int sources = 0;
  for (const char* s : kPvSources) sources += spec.contains(s) ? 1 : 0;
  if (sources == 0) {
    out.push_back(Required("spec", "must specify a volume type"));
  } else if (sources > 1) {
    out.push_back(Forbidden("spec", "may not specify more than 1 volume type"));
  }
  std::string policy = StringOr(spec.value("persistentVolumeReclaimPolicy", Json()));
  if (!policy.empty() && policy != "Retain" && policy != "Delete" && policy != "Recycle") {
    out.push_back(NotSupported("spec.persistentVolumeReclaimPolicy", policy,
                               {"Delete", "Recycle", "Retain"}));
  }
  return out;
}

std::map<std::string, std::string> PersistentVolumeStrategy::SelectableFields(
    const Json& obj) const {
  return {{"status.phase", StringOr(Lookup(obj, {"status", "phase"}))}};
}

void PersistentVolumeClaimStrategy::PrepareForCreate(Json& obj) const {
  Json& spec = obj["spec"];
  if (spec.is_object()) SetIfAbsent(spec, "volumeMode", "Filesystem");
  obj["status"] = {{"phase", "Pending"}};
}

std::vector<FieldCause> PersistentVolumeClaimStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json::object());
  ValidateAccessModes(spec.value("accessModes", Json()), "spec.accessModes", out);
  if (StringOr(Lookup(spec, {"resources", "requests", "storage"})).empty() &&
      !Lookup(spec, {"resources", "requests", "storage"}).is_number()) {
    out.push_back(Required("spec.resources[storage]"));
  }
  return out;
}

std::vector<FieldCause> PersistentVolumeClaimStrategy::ValidateUpdate(const Json& obj,
                                                                      const Json& old) const {
  std::vector<FieldCause> out = Validate(obj);
  // Only the storage request (expansion) and, once, volumeName may change.
  auto fixed = [](Json spec) {
    if (spec.is_object()) {
      spec.erase("resources");
      spec.erase("volumeAttributesClassName");
    }
    return spec;
  };
  Json before = fixed(old.value("spec", Json::object()));
  Json after = fixed(obj.value("spec", Json::object()));
  if (StringOr(before.value("volumeName", Json())).empty()) {
    before.erase("volumeName");
    after.erase("volumeName");
  }
  if (before != after) {
    out.push_back(Forbidden("spec",
                            "spec is immutable after creation except resources.requests and "
                            "volumeAttributesClassName for bound claims"));
  }
  return out;
}

std::vector<FieldCause> IngressStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json::object());
  const Json& rules = spec.value("rules", Json::array());
  if (!spec.contains("defaultBackend") && (!rules.is_array() || rules.empty())) {
    out.push_back(Invalid("spec", spec, "either `defaultBackend` or `rules` must be specified"));
  }
  for (size_t i = 0; rules.is_array() && i < rules.size(); ++i) {
    const Json& paths = Lookup(rules[i], {"http", "paths"});
    for (size_t j = 0; paths.is_array() && j < paths.size(); ++j) {
      std::string at = fmt::format("spec.rules[{}].http.paths[{}]", i, j);
      std::string type = StringOr(paths[j].value("pathType", Json()));
      if (type.empty()) {
        out.push_back(Required(at + ".pathType", "pathType must be specified"));
      } else if (type != "Exact" && type != "Prefix" && type != "ImplementationSpecific") {
        out.push_back(
            NotSupported(at + ".pathType", type, {"Exact", "ImplementationSpecific", "Prefix"}));
      }
      std::string path = StringOr(paths[j].value("path", Json()));
      if (type != "ImplementationSpecific" && (path.empty() || path[0] != '/')) {
        out.push_back(Invalid(at + ".path", path, "must be an absolute path"));
      }
      const Json& backend = paths[j].value("backend", Json());
      if (!backend.is_object() || (!backend.contains("service") && !backend.contains("resource"))) {
        out.push_back(Invalid(at + ".backend", backend,
                              "one backend (service or resource) must be specified"));
      }
    }
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

#include "control-plane/controllers/volume_binding.h"

#include <algorithm>

#include "api/k8s/labels.h"
#include "api/k8s/quantity.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

constexpr char kBetaClassAnnotation[] = "volume.beta.kubernetes.io/storage-class";

std::string ClassOf(const Json& object) {
  const Json& name = Field(object, {"spec", "storageClassName"});
  if (name.is_string()) return name.get<std::string>();
  return StringOf(Field(object, {"metadata", "annotations", kBetaClassAnnotation}));
}

int64_t Bytes(const Json& quantity) {
  if (!quantity.is_string()) return -1;
  auto q = api::k8s::Quantity::Parse(quantity.get<std::string>());
  return q ? q->Value() : -1;
}

std::string VolumeModeOf(const Json& object) {
  std::string mode = StringOf(Field(object, {"spec", "volumeMode"}));
  return mode.empty() ? "Filesystem" : mode;
}

std::vector<std::string> AccessModes(const Json& object) {
  std::vector<std::string> out;
  for (const auto& m : Field(object, {"spec", "accessModes"})) out.push_back(StringOf(m));
  return out;
}

bool Available(const Json& volume) {
  std::string phase = StringOf(Field(volume, {"status", "phase"}));
  return phase.empty() || phase == "Available" || phase == "Pending";
}

}  // namespace

std::string ClaimClass(const Json& claim) { return ClassOf(claim); }
std::string VolumeClass(const Json& volume) { return ClassOf(volume); }
int64_t ClaimRequest(const Json& claim) {
  return Bytes(Field(claim, {"spec", "resources", "requests", "storage"}));
}
int64_t VolumeCapacity(const Json& volume) {
  return Bytes(Field(volume, {"spec", "capacity", "storage"}));
}

bool ReservedFor(const Json& volume, const Json& claim) {
  const Json& ref = Field(volume, {"spec", "claimRef"});
  if (!ref.is_object()) return false;
  if (StringOf(Field(ref, {"namespace"})) != StringOf(Field(claim, {"metadata", "namespace"})) ||
      StringOf(Field(ref, {"name"})) != StringOf(Field(claim, {"metadata", "name"}))) {
    return false;
  }
  std::string uid = StringOf(Field(ref, {"uid"}));
  return uid.empty() || uid == StringOf(Field(claim, {"metadata", "uid"}));
}

std::string Mismatch(const Json& claim, const Json& volume) {
  if (ClaimClass(claim) != VolumeClass(volume)) return "storageClassName differs";
  if (VolumeModeOf(claim) != VolumeModeOf(volume)) return "volumeMode differs";
  auto offered = AccessModes(volume);
  for (const auto& wanted : AccessModes(claim)) {
    if (std::find(offered.begin(), offered.end(), wanted) == offered.end()) {
      return "access mode " + wanted + " not offered";
    }
  }
  int64_t request = ClaimRequest(claim);
  int64_t capacity = VolumeCapacity(volume);
  if (request < 0 || capacity < request) return "too small";
  const Json& selector = Field(claim, {"spec", "selector"});
  if (!selector.is_null()) {
    auto s = api::k8s::LabelSelector::FromJson(selector);
    if (!s || !s->MatchesObject(volume)) return "selector does not match";
  }
  std::string wanted = StringOf(Field(claim, {"spec", "volumeName"}));
  if (!wanted.empty() && wanted != StringOf(Field(volume, {"metadata", "name"}))) {
    return "not the named volume";
  }
  return "";
}

std::optional<size_t> FindMatchingVolume(const Json& claim, const std::vector<Json>& volumes) {
  std::optional<size_t> best;
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Json& v = volumes[i];
    if (!Field(v, {"metadata", "deletionTimestamp"}).is_null()) continue;
    bool reserved = ReservedFor(v, claim);
    // Taken by another claim, or released and not yet reclaimed.
    if (!reserved && (Field(v, {"spec", "claimRef"}).is_object() || !Available(v))) continue;
    if (!Mismatch(claim, v).empty()) continue;
    if (reserved) return i;  // pre-bound to this claim: nothing else is considered
    if (!best || VolumeCapacity(v) < VolumeCapacity(volumes[*best])) best = i;
  }
  return best;
}

}  // namespace capstan::control_plane::controllers

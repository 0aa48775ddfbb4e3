#include "control-plane/apiserver/storage_admission.h"

#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver {
namespace {

void AddFinalizer(Json& obj, const char* finalizer) {
  Json& meta = obj["metadata"];
  if (!meta.is_object()) return;
  Json& list = meta["finalizers"];
  if (!list.is_array()) list = Json::array();
  for (const auto& f : list) {
    if (f == finalizer) return;
  }
  list.push_back(finalizer);
}

}  // namespace

ApiResult<void> AdmitPersistentVolumeClaim(storage::Store* store, Json& claim) {
  AddFinalizer(claim, kPvcProtectionFinalizer);
  Json& spec = claim["spec"];
  if (!spec.is_object()) return {};
  bool names_class = spec.contains("storageClassName") && !spec["storageClassName"].is_null();
  names_class |=
      !Lookup(claim, {"metadata", "annotations", "volume.beta.kubernetes.io/storage-class"})
           .is_null();
  if (names_class) return {};
  auto list = store->List("/registry/storage.k8s.io/storageclasses/", {});
  if (!list) return {};
  Json chosen;
  for (const auto& kv : list->items) {
    Json sc = Json::parse(kv.value, nullptr, false);
    if (StringOr(Lookup(sc, {"metadata", "annotations", kDefaultClassAnnotation})) != "true") {
      continue;
    }
    // The newest default wins, as upstream since 1.28 (RFC 3339 times compare as strings).
    if (chosen.is_null() || StringOr(Lookup(sc, {"metadata", "creationTimestamp"})) >
                                StringOr(Lookup(chosen, {"metadata", "creationTimestamp"}))) {
      chosen = std::move(sc);
    }
  }
  if (!chosen.is_null()) spec["storageClassName"] = MetaString(chosen, "name");
  return {};
}

ApiResult<void> AdmitPersistentVolume(Json& volume) {
  AddFinalizer(volume, kPvProtectionFinalizer);
  return {};
}

}  // namespace capstan::control_plane::apiserver

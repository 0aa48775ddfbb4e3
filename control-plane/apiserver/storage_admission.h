#pragma once
// Admission for storage objects, as kube-apiserver's default plugins do it:
//   - DefaultStorageClass: a new claim that names no class gets the default one (the class
//     annotated storageclass.kubernetes.io/is-default-class: "true"; the newest if several);
//   - StorageObjectInUseProtection: a new claim gets the kubernetes.io/pvc-protection
//     finalizer and a new volume kubernetes.io/pv-protection, so neither goes while in use.

#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

inline constexpr char kPvcProtectionFinalizer[] = "kubernetes.io/pvc-protection";
inline constexpr char kPvProtectionFinalizer[] = "kubernetes.io/pv-protection";
inline constexpr char kDefaultClassAnnotation[] = "storageclass.kubernetes.io/is-default-class";

ApiResult<void> AdmitPersistentVolumeClaim(storage::Store* store, Json& claim);
ApiResult<void> AdmitPersistentVolume(Json& volume);

}  // namespace capstan::control_plane::apiserver

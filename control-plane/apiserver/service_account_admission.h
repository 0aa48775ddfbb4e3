#pragma once
// The ServiceAccount admission plugin, as kube-apiserver runs it on every new pod:
//   - the pod's service account must exist (a missing "default" is let through: the
//     namespace defaults create it moments after the namespace, and a pod applied in the
//     same breath as its namespace should not fail for that);
//   - unless the pod or its service account sets automountServiceAccountToken: false, the
//     pod gets a projected volume "kube-api-access-<5 chars>" (a bound token, the cluster CA
//     from the kube-root-ca.crt ConfigMap, the namespace) mounted read-only in every
//     container at /var/run/secrets/kubernetes.io/serviceaccount.
// Mirror pods are left alone: a static pod cannot use the API's objects.

#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

inline constexpr char kServiceAccountMountPath[] = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr char kRootCaConfigMap[] = "kube-root-ca.crt";

// `pod` is being created in its namespace (metadata.namespace set). `store` holds the
// service accounts.
ApiResult<void> AdmitServiceAccount(storage::Store* store, Json& pod);

}  // namespace capstan::control_plane::apiserver

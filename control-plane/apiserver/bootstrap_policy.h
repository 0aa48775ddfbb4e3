#pragma once
// The RBAC objects kube-apiserver creates on start (plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy): the default ClusterRoles (cluster-admin, admin, edit, view, the system:
// roles of discovery, nodes, the scheduler and controller manager) and their bindings.
// Created when missing, never overwritten, as upstream's auto-reconcile leaves user edits of
// annotated roles alone.

#include <string>
#include <vector>

#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver {

std::vector<Json> BootstrapClusterRoles();
std::vector<Json> BootstrapClusterRoleBindings();

}  // namespace capstan::control_plane::apiserver

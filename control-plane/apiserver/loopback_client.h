#pragma once
// The client capstan-server's own controllers and scheduler reach the API with: HTTPS to
// 127.0.0.1 and this server's port, as a user of their own (system:kube-scheduler,
// system:kube-controller-manager) with a client certificate the cluster CA signs at start.
// So they pass authentication, RBAC and admission like kube-scheduler and
// kube-controller-manager do next to kube-apiserver (and as k3s runs them in one process).

#include <memory>
#include <string>

#include "api/k8s/client/rest_api_client.h"
#include "common/pki/certs.h"

namespace capstan::control_plane::apiserver {

Result<std::unique_ptr<api::k8s::client::RestApiClient>> LoopbackClient(const pki::CertAndKey& ca,
                                                                        int port,
                                                                        const std::string& user);

}  // namespace capstan::control_plane::apiserver

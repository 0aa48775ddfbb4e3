#pragma once
// The kubelet as a node of a cluster, besides its pods (main.cc wires these in):
// - JoinCluster: the client certificate through the CSR API with a join token (TLS
//   bootstrap), the API client, the serving certificate from the cluster and its CA;
// - RotateClientCertificate: a new client certificate before the old one expires;
// - SyncPodCidr: Node.spec.podCIDRs handed to the runtime (UpdateRuntimeConfig).

#include <functional>
#include <memory>
#include <string>

#include "api/cri/runtime_service.h"
#include "api/k8s/client/reflector.h"
#include "api/k8s/client/rest_api_client.h"
#include "common/time.h"
#include "kubelet/config/flags.h"
#include "kubelet/config/kubelet_config.h"
#include "kubelet/kubelet.h"

namespace capstan::kubelet {

struct Joined {
  std::unique_ptr<api::k8s::client::RestApiClient> api;
  // Asks for a new serving certificate when the current one nears its end; true when the
  // files changed (null: the certificate is not the cluster's).
  std::function<Result<bool>()> renew_serving;
};

// With --bootstrap-kubeconfig, the client certificate first (until it is issued); then the
// API client, the serving certificate (falling back to the self-signed one when the cluster
// does not sign it in time) and the client CA. `cfg` gets the certificate files.
Result<Joined> JoinCluster(const config::KubeletFlags& flags, const KubeletOptions& opts,
                           config::KubeletConfiguration& cfg, const Clock* clock);

// The client certificate renewed before it expires; the API client switches to the new one.
void RotateClientCertificate(api::k8s::client::RestApiClient* api, const std::string& kubeconfig,
                             const std::string& node_name, const Clock& clock);

// Node.spec.podCIDRs (or podCIDR), comma-joined, as the kubelet hands them to the runtime.
std::string PodCidrsOf(const api::k8s::client::Json& node);

// Tells the runtime the node's pod CIDRs when they are set or change; `last` holds the ones
// it was told.
void SyncPodCidr(const api::k8s::client::Reflector& node_watch, const std::string& node_name,
                 api::cri::RuntimeService* runtime, std::string* last);

}  // namespace capstan::kubelet

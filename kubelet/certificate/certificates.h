#pragma once
// The kubelet's certificates from the cluster, through the CSR API (certificates.k8s.io/v1),
// as upstream's kubelet TLS bootstrap and serverTLSBootstrap do:
// - its client certificate (CN system:node:<name>, O system:nodes), asked for with a join
//   (bootstrap) token when it has no kubeconfig yet, and written into the kubeconfig it then
//   uses;
// - its serving certificate for the :10250 API (kubernetes.io/kubelet-serving, the node's
//   names and addresses), which the API server verifies when it proxies logs.
// Each is asked for again when it is missing, no longer chains to the cluster CA, or has less
// than a fifth of its life left.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/k8s/client/api_client.h"
#include "common/error.h"
#include "common/time.h"

namespace capstan::kubelet::certificate {

struct CsrRequest {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string signer;               // kubernetes.io/kube-apiserver-client-kubelet, ...
  std::vector<std::string> usages;  // "digital signature", "client auth", ...
};

struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// Creates the CSR with a fresh key and waits (polling) until it is signed, denied or failed,
// or `timeout` passes.
Result<IssuedCertificate> RequestCertificate(api::k8s::client::ApiClient* api,
                                             const CsrRequest& request,
                                             std::chrono::milliseconds timeout);

// Whether `cert_pem` chains to `ca_pem` and has more than a fifth of its validity left.
bool StillGood(const std::string& cert_pem, const std::string& ca_pem, WallTime now);

// The kubeconfig at `kubeconfig_path`, made from `bootstrap_kubeconfig` when it is missing or
// its certificate is no longer good: a client certificate for the node is asked for with the
// bootstrap credentials and written (with the bootstrap file's server and CA) to
// `kubeconfig_path`, mode 0600.
Status BootstrapClientCertificate(const std::string& bootstrap_kubeconfig,
                                  const std::string& kubeconfig_path, const std::string& node_name,
                                  std::chrono::milliseconds timeout);

// Certificate rotation, as upstream's kubelet certificate manager does for its client
// certificate: when the one in `kubeconfig_path` has less than a fifth of its life left, a
// new one is asked for through `api` (still authenticated with the old one, so the API
// server approves it as the node renewing its own), written into the kubeconfig, and
// returned so the caller's client switches to it. nullopt: still good.
Result<std::optional<IssuedCertificate>> RotateClientCertificate(api::k8s::client::ApiClient* api,
                                                                 const std::string& kubeconfig_path,
                                                                 const std::string& node_name,
                                                                 WallTime now,
                                                                 std::chrono::milliseconds timeout);

// The kubelet's serving certificate files under `pki_dir` (kubelet-server.crt/.key), signed
// by the cluster for the node's names and IPs; reused while good.
struct ServingFiles {
  std::string cert_file;
  std::string key_file;
};
Result<ServingFiles> EnsureServingCertificate(api::k8s::client::ApiClient* api,
                                              const std::string& ca_pem, const std::string& pki_dir,
                                              const std::string& node_name,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              std::chrono::milliseconds timeout);

}  // namespace capstan::kubelet::certificate

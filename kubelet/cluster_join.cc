// What makes the kubelet a node of a cluster beyond its pods: joining (TLS bootstrap, the
// serving certificate), keeping its certificates fresh, and the node's pod CIDR.
#include "kubelet/cluster_join.h"

#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "common/pki/kubeconfig.h"
#include "kubelet/certificate/certificates.h"

namespace capstan::kubelet {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

// Node.spec.podCIDRs (or podCIDR), as the kubelet hands them to the runtime: comma-joined.
std::string PodCidrsOf(const api::k8s::client::Json& node) {
  const auto spec = node.value("spec", api::k8s::client::Json::object());
  std::string out;
  for (const auto& cidr : spec.value("podCIDRs", api::k8s::client::Json::array())) {
    if (cidr.is_string()) out += (out.empty() ? "" : ",") + cidr.get<std::string>();
  }
  return out.empty() ? spec.value("podCIDR", "") : out;
}

// Tells the runtime the node's pod CIDRs when they are set or change (upstream's
// updatePodCIDR), so its CNI IPAM hands out addresses from them.
void SyncPodCidr(const api::k8s::client::Reflector& node_watch, const std::string& node_name,
                 api::cri::RuntimeService* runtime, std::string* last) {
  auto node = node_watch.Get("", node_name);
  if (!node) return;
  std::string cidrs = PodCidrsOf(*node);
  if (cidrs.empty() || cidrs == *last) return;
  api::cri::v1::UpdateRuntimeConfigRequest req;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(cidrs);
  if (auto st = runtime->UpdateRuntimeConfig(req); !st) {
    kLog.Warn("handing the pod CIDR to the runtime", {{"error", st.error().message()}});
    return;
  }
  kLog.Info("pod CIDR", {{"cidr", cidrs}});
  *last = cidrs;
}

// With --bootstrap-kubeconfig, the client certificate first (until it is issued); then the
// API client, the serving certificate (falling back to the self-signed one when the cluster
// does not sign it in time) and the client CA. `cfg` gets the certificate files.
Result<Joined> JoinCluster(const config::KubeletFlags& flags, const KubeletOptions& opts,
                           config::KubeletConfiguration& cfg, const Clock* clock) {
  if (!flags.bootstrap_kubeconfig.empty()) {
    while (true) {
      auto st = certificate::BootstrapClientCertificate(
          flags.bootstrap_kubeconfig, flags.kubeconfig, opts.node_name, std::chrono::minutes(1));
      if (st) break;
      kLog.Warn("waiting for a client certificate", {{"error", st.error().message()}});
      std::this_thread::sleep_for(std::chrono::seconds(5));
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto kubeconfig, pki::ReadKubeconfig(flags.kubeconfig));
  Joined out;
  CAPSTAN_ASSIGN_OR_RETURN(out.api,
                           api::k8s::client::RestApiClient::FromKubeconfig(flags.kubeconfig));
  std::string pki_dir = flags.root_dir + "/pki";
  CAPSTAN_TRY(MkdirAll(pki_dir, 0700));
  if (cfg.authentication_x509_client_ca_file.empty() && !kubeconfig.ca_pem.empty()) {
    cfg.authentication_x509_client_ca_file = pki_dir + "/cluster-ca.crt";
    CAPSTAN_TRY(WriteFileAtomic(cfg.authentication_x509_client_ca_file, kubeconfig.ca_pem));
  }
  if (cfg.tls_cert_file.empty() && !kubeconfig.ca_pem.empty()) {
    std::vector<std::string> ips;
    if (!opts.node_ip.empty()) ips.push_back(opts.node_ip);
    ips.push_back("127.0.0.1");
    auto ensure = [api = out.api.get(), ca = kubeconfig.ca_pem, pki_dir, node = opts.node_name,
                   ips] {
      return certificate::EnsureServingCertificate(api, ca, pki_dir, node, {node, "localhost"}, ips,
                                                   std::chrono::seconds(30));
    };
    auto files = ensure();
    if (files) {
      cfg.tls_cert_file = files->cert_file;
      cfg.tls_private_key_file = files->key_file;
      out.renew_serving = [ensure, cert_file = files->cert_file]() -> Result<bool> {
        auto before = ReadFile(cert_file);
        CAPSTAN_TRY(ensure());
        auto after = ReadFile(cert_file);
        return !before || !after || *before != *after;
      };
    } else {
      kLog.Warn("no serving certificate from the cluster; serving a self-signed one",
                {{"error", files.error().message()}});
    }
  }
  (void)clock;
  return out;
}

// The client certificate renewed before it expires (checked every few minutes); the API
// client switches to the new one at once.
void RotateClientCertificate(api::k8s::client::RestApiClient* api, const std::string& kubeconfig,
                             const std::string& node_name, const Clock& clock) {
  auto rotated = certificate::RotateClientCertificate(api, kubeconfig, node_name, clock.Now(),
                                                      std::chrono::seconds(30));
  if (!rotated) {
    kLog.Warn("rotating the client certificate", {{"error", rotated.error().message()}});
    return;
  }
  if (!*rotated) return;
  if (auto st = api->SetClientCertificate((*rotated)->cert_pem, (*rotated)->key_pem); !st) {
    kLog.Warn("using the rotated client certificate", {{"error", st.error().message()}});
  }
}

}  // namespace capstan::kubelet

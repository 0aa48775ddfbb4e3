#include "common/pki/cluster_pki.h"

#include <algorithm>

#include "common/file.h"
#include "common/log.h"
#include "common/pki/certs.h"
#include "common/pki/jwt.h"

namespace capstan::pki {
namespace {

const log::Logger kLog("pki");

constexpr std::chrono::hours kCaValidity{24 * 3650};
constexpr std::chrono::hours kLeafValidity{24 * 365};

std::optional<CertAndKey> Load(const std::string& cert_file, const std::string& key_file) {
  auto cert = ReadFile(cert_file);
  auto key = ReadFile(key_file);
  if (!cert || !key) return std::nullopt;
  return CertAndKey{*cert, *key};
}

Status Save(const std::string& cert_file, const std::string& key_file, const CertAndKey& pair) {
  CAPSTAN_TRY_WRAP(WriteFileAtomic(key_file, pair.key_pem, 0600), "writing {}", key_file);
  CAPSTAN_TRY_WRAP(WriteFileAtomic(cert_file, pair.cert_pem, 0644), "writing {}", cert_file);
  return Ok();
}

bool Contains(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& w) {
    return std::find(have.begin(), have.end(), w) != have.end();
  });
}

// Whether a stored leaf can stay: signed by `ca`, not due for renewal, and (for the
// serving certificate) naming everything asked for.
bool Fresh(const std::optional<CertAndKey>& pair, const CertAndKey& ca, WallTime now,
           const ClusterPkiOptions& options, const CertificateSpec* names) {
  if (!pair || !VerifiedBy(pair->cert_pem, ca.cert_pem)) return false;
  auto info = ParseCertificate(pair->cert_pem);
  if (!info || info->not_after - options.renew_before < now) return false;
  if (names && (!Contains(info->dns_names, names->dns_names) ||
                !Contains(info->ip_addresses, names->ip_addresses))) {
    return false;
  }
  return true;
}

}  // namespace

Result<ClusterPki> EnsureClusterPki(const std::string& dir, const ClusterPkiOptions& options,
                                    WallTime now) {
  CAPSTAN_TRY_WRAP(MkdirAll(dir, 0700), "creating {}", dir);
  ClusterPki p;
  p.dir = dir;
  p.ca_cert_file = dir + "/ca.crt";
  p.ca_key_file = dir + "/ca.key";
  p.server_cert_file = dir + "/server.crt";
  p.server_key_file = dir + "/server.key";
  p.admin_cert_file = dir + "/admin.crt";
  p.admin_key_file = dir + "/admin.key";
  p.kubelet_client_cert_file = dir + "/apiserver-kubelet-client.crt";
  p.kubelet_client_key_file = dir + "/apiserver-kubelet-client.key";
  p.sa_key_file = dir + "/sa.key";
  p.sa_pub_file = dir + "/sa.pub";

  std::optional<CertAndKey> ca = Load(p.ca_cert_file, p.ca_key_file);
  bool ca_ok = false;
  if (ca) {
    auto info = ParseCertificate(ca->cert_pem);
    ca_ok = info && info->is_ca && info->not_after - options.renew_before > now;
  }
  if (!ca_ok) {
    CertificateSpec spec;
    spec.common_name = "capstan-ca";
    spec.is_ca = true;
    spec.validity = kCaValidity;
    CAPSTAN_ASSIGN_OR_RETURN(ca, IssueCertificate(spec));
    CAPSTAN_TRY(Save(p.ca_cert_file, p.ca_key_file, *ca));
    p.renewed.push_back("ca.crt");
  }

  CertificateSpec server;
  server.common_name = "kube-apiserver";
  server.server_auth = true;
  server.validity = kLeafValidity;
  server.dns_names = {"kubernetes", "kubernetes.default", "kubernetes.default.svc",
                      "kubernetes.default.svc.cluster.local"};
  for (const auto& n : options.server_names) {
    if (std::find(server.dns_names.begin(), server.dns_names.end(), n) == server.dns_names.end()) {
      server.dns_names.push_back(n);
    }
  }
  server.ip_addresses = options.server_ips;
  auto stored_server = Load(p.server_cert_file, p.server_key_file);
  if (!Fresh(stored_server, *ca, now, options, &server)) {
    CAPSTAN_ASSIGN_OR_RETURN(auto pair, IssueCertificate(server, &*ca));
    CAPSTAN_TRY(Save(p.server_cert_file, p.server_key_file, pair));
    p.renewed.push_back("server.crt");
  }

  CertificateSpec admin;
  admin.common_name = "kubernetes-admin";
  admin.organizations = {"system:masters"};
  admin.client_auth = true;
  admin.validity = kLeafValidity;
  auto stored_admin = Load(p.admin_cert_file, p.admin_key_file);
  if (!Fresh(stored_admin, *ca, now, options, nullptr)) {
    CAPSTAN_ASSIGN_OR_RETURN(stored_admin, IssueCertificate(admin, &*ca));
    CAPSTAN_TRY(Save(p.admin_cert_file, p.admin_key_file, *stored_admin));
    p.renewed.push_back("admin.crt");
  }

  // What the API server shows kubelets when it proxies logs, exec and port-forward to them.
  CertificateSpec kubelet_client;
  kubelet_client.common_name = "kube-apiserver-kubelet-client";
  kubelet_client.client_auth = true;
  kubelet_client.validity = kLeafValidity;
  auto stored_kubelet_client = Load(p.kubelet_client_cert_file, p.kubelet_client_key_file);
  if (!Fresh(stored_kubelet_client, *ca, now, options, nullptr)) {
    CAPSTAN_ASSIGN_OR_RETURN(stored_kubelet_client, IssueCertificate(kubelet_client, &*ca));
    CAPSTAN_TRY(
        Save(p.kubelet_client_cert_file, p.kubelet_client_key_file, *stored_kubelet_client));
    p.renewed.push_back("apiserver-kubelet-client.crt");
  }

  auto sa_key = ReadFile(p.sa_key_file);
  auto sa_pub = ReadFile(p.sa_pub_file);
  if (!sa_key || !sa_pub) {
    CAPSTAN_ASSIGN_OR_RETURN(auto pair, GenerateRsaKey());
    CAPSTAN_TRY_WRAP(WriteFileAtomic(p.sa_key_file, pair.first, 0600), "writing sa.key");
    CAPSTAN_TRY_WRAP(WriteFileAtomic(p.sa_pub_file, pair.second, 0644), "writing sa.pub");
    sa_key = pair.first;
    sa_pub = pair.second;
    p.renewed.push_back("sa.key");
  }

  p.ca_cert_pem = ca->cert_pem;
  p.ca_key_pem = ca->key_pem;
  p.admin_cert_pem = stored_admin->cert_pem;
  p.admin_key_pem = stored_admin->key_pem;
  p.kubelet_client_cert_pem = stored_kubelet_client->cert_pem;
  p.kubelet_client_key_pem = stored_kubelet_client->key_pem;
  p.sa_key_pem = *sa_key;
  p.sa_pub_pem = *sa_pub;
  for (const auto& r : p.renewed) kLog.Info("issued", {{"file", dir + "/" + r}});
  return p;
}

}  // namespace capstan::pki

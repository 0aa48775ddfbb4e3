#include "kubelet/certificate/certificates.h"

#include <openssl/rand.h>

#include <fmt/format.h>

#include <thread>

#include "api/k8s/client/rest_api_client.h"
#include "common/file.h"
#include "common/log.h"
#include "common/pki/base64.h"
#include "common/pki/certs.h"
#include "common/pki/csr.h"
#include "common/pki/kubeconfig.h"

namespace capstan::kubelet::certificate {
namespace {

const log::Logger kLog("certificates");
namespace res = api::k8s::client::resources;
using Json = api::k8s::client::Json;

std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char bytes[8] = {};
  RAND_bytes(bytes, sizeof(bytes));
  std::string out;
  for (unsigned char b : bytes) out += kAlphabet[b % (sizeof(kAlphabet) - 1)];
  return out;
}

bool HasCondition(const Json& csr, const char* type) {
  const Json& status = csr.value("status", Json::object());
  for (const auto& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == type) return true;
  }
  return false;
}

// The node's client certificate request: CN system:node:<name>, O system:nodes.
CsrRequest NodeClientCsr(const std::string& node_name) {
  CsrRequest request;
  request.common_name = "system:node:" + node_name;
  request.organizations = {"system:nodes"};
  request.signer = "kubernetes.io/kube-apiserver-client-kubelet";
  request.usages = {"digital signature", "client auth"};
  return request;
}

Status WriteNodeKubeconfig(const std::string& path, const std::string& server,
                           const std::string& ca_pem, const std::string& node_name,
                           const IssuedCertificate& issued) {
  pki::KubeconfigSpec spec;
  spec.server = server;
  spec.ca_pem = ca_pem;
  spec.user_name = "system:node:" + node_name;
  spec.client_cert_pem = issued.cert_pem;
  spec.client_key_pem = issued.key_pem;
  return pki::WriteKubeconfig(path, spec);
}

}  // namespace

Result<IssuedCertificate> RequestCertificate(api::k8s::client::ApiClient* api,
                                             const CsrRequest& request,
                                             std::chrono::milliseconds timeout) {
  pki::CertificateSpec spec;
  spec.common_name = request.common_name;
  spec.organizations = request.organizations;
  spec.dns_names = request.dns_names;
  spec.ip_addresses = request.ip_addresses;
  CAPSTAN_ASSIGN_OR_RETURN(auto pair, pki::CreateCertificateRequest(spec));
  std::string name = "csr-" + RandomSuffix();
  Json csr = {{"apiVersion", "certificates.k8s.io/v1"},
              {"kind", "CertificateSigningRequest"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"request", pki::Base64Encode(pair.request_pem)},
                {"signerName", request.signer},
                {"usages", request.usages}}}};
  auto created = api->Create(res::kCsrs, "", csr);
  if (!created) return std::unexpected(created.error().Wrap("creating {}", name));
  kLog.Info("certificate requested", {{"csr", name}, {"signer", request.signer}});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto current = api->Get(res::kCsrs, "", name);
    if (current) {
      if (HasCondition(*current, "Denied") || HasCondition(*current, "Failed")) {
        return Fail(Code::kPermissionDenied, "certificate request {} was denied or failed: {}",
                    name, current->value("status", Json()).dump());
      }
      std::string cert =
          (*current)["status"].is_object() ? (*current)["status"].value("certificate", "") : "";
      if (!cert.empty()) {
        auto pem = pki::Base64Decode(cert);
        if (!pem) return Fail(Code::kInternal, "{}: the certificate is not base64", name);
        return IssuedCertificate{*pem, pair.key_pem};
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Fail(Code::kDeadlineExceeded,
              "certificate request {} was not signed within {} s (is it waiting for approval? "
              "kubectl certificate approve {})",
              name, std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), name);
}

bool StillGood(const std::string& cert_pem, const std::string& ca_pem, WallTime now) {
  if (!pki::VerifiedBy(cert_pem, ca_pem)) return false;
  auto info = pki::ParseCertificate(cert_pem);
  if (!info) return false;
  auto life = info->not_after - info->not_before;
  return info->not_after - now > life / 5;
}

Status BootstrapClientCertificate(const std::string& bootstrap_kubeconfig,
                                  const std::string& kubeconfig_path, const std::string& node_name,
                                  std::chrono::milliseconds timeout) {
  if (auto existing = pki::ReadKubeconfig(kubeconfig_path);
      existing && !existing->client_cert_pem.empty() &&
      StillGood(existing->client_cert_pem, existing->ca_pem, WallNow())) {
    return Ok();
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto bootstrap, pki::ReadKubeconfig(bootstrap_kubeconfig));
  CAPSTAN_ASSIGN_OR_RETURN(auto api,
                           api::k8s::client::RestApiClient::FromKubeconfig(bootstrap_kubeconfig));
  CAPSTAN_ASSIGN_OR_RETURN(auto issued,
                           RequestCertificate(api.get(), NodeClientCsr(node_name), timeout));
  CAPSTAN_TRY(
      WriteNodeKubeconfig(kubeconfig_path, bootstrap.server, bootstrap.ca_pem, node_name, issued));
  kLog.Info("client certificate issued", {{"kubeconfig", kubeconfig_path}});
  return Ok();
}

Result<std::optional<IssuedCertificate>> RotateClientCertificate(
    api::k8s::client::ApiClient* api, const std::string& kubeconfig_path,
    const std::string& node_name, WallTime now, std::chrono::milliseconds timeout) {
  CAPSTAN_ASSIGN_OR_RETURN(auto current, pki::ReadKubeconfig(kubeconfig_path));
  if (current.client_cert_pem.empty()) {
    return Fail(Code::kFailedPrecondition, "{} holds no client certificate to rotate",
                kubeconfig_path);
  }
  if (StillGood(current.client_cert_pem, current.ca_pem, now)) return std::nullopt;
  CAPSTAN_ASSIGN_OR_RETURN(auto issued, RequestCertificate(api, NodeClientCsr(node_name), timeout));
  CAPSTAN_TRY(
      WriteNodeKubeconfig(kubeconfig_path, current.server, current.ca_pem, node_name, issued));
  kLog.Info("client certificate rotated", {{"kubeconfig", kubeconfig_path}});
  return issued;
}

Result<ServingFiles> EnsureServingCertificate(api::k8s::client::ApiClient* api,
                                              const std::string& ca_pem, const std::string& pki_dir,
                                              const std::string& node_name,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              std::chrono::milliseconds timeout) {
  ServingFiles files{pki_dir + "/kubelet-server.crt", pki_dir + "/kubelet-server.key"};
  auto cert = ReadFile(files.cert_file);
  if (cert && PathExists(files.key_file) && StillGood(*cert, ca_pem, WallNow())) return files;
  CsrRequest request;
  request.common_name = "system:node:" + node_name;
  request.organizations = {"system:nodes"};
  request.dns_names = dns_names;
  request.ip_addresses = ip_addresses;
  request.signer = "kubernetes.io/kubelet-serving";
  request.usages = {"digital signature", "server auth"};
  CAPSTAN_ASSIGN_OR_RETURN(auto issued, RequestCertificate(api, request, timeout));
  CAPSTAN_TRY(MkdirAll(pki_dir, 0700));
  // The key first: a crash between the two leaves a certificate that is asked for again.
  CAPSTAN_TRY(WriteFileAtomic(files.key_file, issued.key_pem, 0600));
  CAPSTAN_TRY(WriteFileAtomic(files.cert_file, issued.cert_pem, 0644));
  kLog.Info("serving certificate issued", {{"file", files.cert_file}});
  return files;
}

}  // namespace capstan::kubelet::certificate

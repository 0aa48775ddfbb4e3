#include "control-plane/apiserver/loopback_client.h"

namespace capstan::control_plane::apiserver {

Result<std::unique_ptr<api::k8s::client::RestApiClient>> LoopbackClient(const pki::CertAndKey& ca,
                                                                        int port,
                                                                        const std::string& user) {
  pki::CertificateSpec spec;
  spec.common_name = user;
  spec.client_auth = true;
  spec.validity = std::chrono::hours(24 * 365);  // a new one at every start
  CAPSTAN_ASSIGN_OR_RETURN(pki::CertAndKey cert, pki::IssueCertificate(spec, &ca));
  api::k8s::client::RestConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.ca_pem = ca.cert_pem;
  config.client_cert_pem = cert.cert_pem;
  config.client_key_pem = cert.key_pem;
  return api::k8s::client::RestApiClient::Create(std::move(config));
}

}  // namespace capstan::control_plane::apiserver

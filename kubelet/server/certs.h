#pragma once
// X.509 certificates for the kubelet API: the self-signed serving certificate the kubelet
// makes for itself when none is configured (as upstream writes <root-dir>/pki/kubelet.crt and
// kubelet.key), and issuing certificates in general (tests build CAs and client certs with it).

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::server {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  bool is_ca = false;
  bool server_auth = false;
  bool client_auth = false;
  std::chrono::hours validity{24 * 365};
};

// A certificate for a new ECDSA P-256 key, signed by `issuer` (null: self-signed).
Result<CertAndKey> IssueCertificate(const CertificateSpec& spec,
                                    const CertAndKey* issuer = nullptr);

struct ServingCertFiles {
  std::string cert_file;
  std::string key_file;
};

// The serving certificate to use: tlsCertFile/tlsPrivateKeyFile when both are set (they must
// exist); else <pki_dir>/kubelet.crt and kubelet.key, made once, self-signed for `host_name`
// (key 0600) and kept across restarts.
Result<ServingCertFiles> EnsureServingCertificate(const std::string& tls_cert_file,
                                                  const std::string& tls_private_key_file,
                                                  const std::string& pki_dir,
                                                  const std::string& host_name);

}  // namespace capstan::kubelet::server

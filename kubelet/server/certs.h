#pragma once
// The kubelet API's serving certificate: the self-signed one the kubelet makes for itself
// when none is configured (as upstream writes <root-dir>/pki/kubelet.crt and kubelet.key).

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/pki/certs.h"

namespace capstan::kubelet::server {

// Issuing lives in common/pki; the kubelet's tests and callers use it through these names.
using pki::CertAndKey;
using pki::CertificateSpec;
using pki::IssueCertificate;

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

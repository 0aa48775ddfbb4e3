#pragma once
// PKCS#10 certificate signing requests: what a kubelet sends through the CSR API
// (certificates.k8s.io/v1) to get its client and serving certificates, and what the API
// server signs with the cluster CA.

#include <string>
#include <vector>

#include "common/error.h"
#include "common/pki/certs.h"

namespace capstan::pki {

struct CertificateRequestInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  // Email addresses or URIs among the subject alternative names: a kubelet asks for neither.
  bool has_other_names = false;
};

// A new ECDSA P-256 key and a request for `spec`'s subject and names (PEM "CERTIFICATE
// REQUEST"), signed with that key.
struct RequestAndKey {
  std::string request_pem;
  std::string key_pem;
};
Result<RequestAndKey> CreateCertificateRequest(const CertificateSpec& spec);

// What a request asks for; fails unless its self-signature verifies.
Result<CertificateRequestInfo> ParseCertificateRequest(const std::string& pem);

// A certificate for the request's public key, with the subject, names, usages and validity of
// `spec` (the signer decides those; the request only proposes), signed by `issuer`.
Result<std::string> SignCertificateRequest(const std::string& request_pem,
                                           const CertificateSpec& spec, const CertAndKey& issuer);

}  // namespace capstan::pki

#pragma once
// X.509 certificates: issuing them (a CA, serving and client certificates for the cluster,
// the kubelet's self-signed one) and reading what one says.

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace capstan::pki {

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
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
};

// A certificate for a new ECDSA P-256 key, signed by `issuer` (null: self-signed).
Result<CertAndKey> IssueCertificate(const CertificateSpec& spec,
                                    const CertAndKey* issuer = nullptr);

struct CertificateInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  WallTime not_before;
  WallTime not_after;
  bool is_ca = false;
};
Result<CertificateInfo> ParseCertificate(const std::string& pem);
// Whether `cert_pem` was signed by the CA in `ca_pem` and is within its validity.
bool VerifiedBy(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace capstan::pki

// CertificateSigningRequest: upstream's create and update rules and validation.

#include "api/k8s/validation.h"
#include "common/pki/base64.h"
#include "common/pki/csr.h"
#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

const std::vector<std::string> kUsages = {"signing",
                                          "digital signature",
                                          "content commitment",
                                          "key encipherment",
                                          "key agreement",
                                          "data encipherment",
                                          "cert sign",
                                          "crl sign",
                                          "encipher only",
                                          "decipher only",
                                          "any",
                                          "server auth",
                                          "client auth",
                                          "code signing",
                                          "email protection",
                                          "s/mime",
                                          "ipsec end system",
                                          "ipsec tunnel",
                                          "ipsec user",
                                          "timestamping",
                                          "ocsp signing",
                                          "microsoft sgc",
                                          "netscape sgc"};

}  // namespace

void CertificateSigningRequestStrategy::PrepareForCreate(Json& obj) const {
  // A new request is neither approved nor signed, whatever its body says.
  obj.erase("status");
}

void CertificateSigningRequestStrategy::PrepareForUpdate(Json& obj, const Json& old) const {
  if (old.contains("spec")) obj["spec"] = old["spec"];
}

std::vector<FieldCause> CertificateSigningRequestStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> causes;
  const Json& spec = Lookup(obj, {"spec"});
  if (!spec.is_object()) return {Required("spec")};
  const Json& request = spec.value("request", Json());
  if (!request.is_string() || request.get<std::string>().empty()) {
    causes.push_back(Required("spec.request"));
  } else {
    auto pem = pki::Base64Decode(request.get<std::string>());
    if (!pem || !pki::ParseCertificateRequest(*pem)) {
      causes.push_back(Invalid("spec.request", "<truncated>",
                               "invalid certificate request: the PEM block does not parse or "
                               "its signature does not verify"));
    }
  }
  const Json& signer = spec.value("signerName", Json());
  if (!signer.is_string() || signer.get<std::string>().empty()) {
    causes.push_back(Required("spec.signerName"));
  } else if (signer.get<std::string>().find('/') == std::string::npos) {
    causes.push_back(Invalid("spec.signerName", signer,
                             "must be a fully qualified domain and path of the form "
                             "'example.com/signer-name'"));
  }
  const Json& usages = spec.value("usages", Json());
  if (!usages.is_array() || usages.empty()) {
    causes.push_back(Required("spec.usages"));
  } else {
    for (size_t i = 0; i < usages.size(); ++i) {
      const Json& u = usages[i];
      if (!u.is_string() ||
          std::find(kUsages.begin(), kUsages.end(), u.get<std::string>()) == kUsages.end()) {
        causes.push_back(NotSupported("spec.usages[" + std::to_string(i) + "]", u, kUsages));
      }
    }
  }
  const Json& expiration = spec.value("expirationSeconds", Json());
  if (!expiration.is_null() &&
      (!expiration.is_number_integer() || expiration.get<int64_t>() < 600)) {
    causes.push_back(Invalid("spec.expirationSeconds", expiration,
                             "may not specify a duration less than 600 seconds (10 minutes)"));
  }
  return causes;
}

std::map<std::string, std::string> CertificateSigningRequestStrategy::SelectableFields(
    const Json& obj) const {
  return {{"spec.signerName", StringOr(Lookup(obj, {"spec", "signerName"}))}};
}

}  // namespace capstan::control_plane::apiserver

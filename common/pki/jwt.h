#pragma once
// JSON Web Tokens signed with RS256, as Kubernetes service-account tokens are. Verification
// accepts RS256 only (never "none" or an HMAC algorithm keyed with the public key) and checks
// exp and nbf against the given time.

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/time.h"

namespace capstan::pki {

// A new RSA 2048 key pair as PEM (private PKCS#8, public SubjectPublicKeyInfo).
Result<std::pair<std::string, std::string>> GenerateRsaKey();
// The key id upstream derives: base64url of the SHA-256 of the DER public key.
Result<std::string> KeyId(const std::string& public_key_pem);

Result<std::string> SignJwt(const nlohmann::json& claims, const std::string& private_key_pem,
                            const std::string& kid);
// The claims of a valid token; kPermissionDenied names what was wrong.
Result<nlohmann::json> VerifyJwt(const std::string& token, const std::string& public_key_pem,
                                 WallTime now);

}  // namespace capstan::pki

#include "api/k8s/bootstrap_token.h"

#include <openssl/rand.h>

#include "api/k8s/meta.h"
#include "common/pki/base64.h"

namespace capstan::api::k8s {
namespace {

using Json = nlohmann::json;

constexpr const char* kSecretType = "bootstrap.kubernetes.io/token";

std::string RandomLowerAlnum(size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < n) {
    unsigned char byte = 0;
    if (RAND_bytes(&byte, 1) != 1) continue;
    if (byte >= 252) continue;  // 252 = 7 * 36: no bias
    out += kAlphabet[byte % 36];
  }
  return out;
}

}  // namespace

BootstrapToken GenerateBootstrapToken() { return {RandomLowerAlnum(6), RandomLowerAlnum(16)}; }

Json BootstrapTokenSecret(const BootstrapToken& token, WallTime expires,
                          const std::string& description) {
  auto b64 = [](const std::string& s) { return pki::Base64Encode(s); };
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "bootstrap-token-" + token.id}, {"namespace", "kube-system"}}},
          {"type", kSecretType},
          {"data",
           {{"description", b64(description)},
            {"token-id", b64(token.id)},
            {"token-secret", b64(token.secret)},
            {"expiration", b64(FormatTime(expires))},
            {"usage-bootstrap-authentication", b64("true")},
            {"usage-bootstrap-signing", b64("true")},
            {"auth-extra-groups", b64("system:bootstrappers:capstan:default-node-token")}}}};
}

}  // namespace capstan::api::k8s

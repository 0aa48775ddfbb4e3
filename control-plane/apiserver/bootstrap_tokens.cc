#include "control-plane/apiserver/bootstrap_tokens.h"

#include <openssl/crypto.h>

#include <regex>

#include "api/k8s/meta.h"
#include "common/pki/base64.h"

namespace capstan::control_plane::apiserver {
namespace {

using Json = nlohmann::json;

constexpr const char* kSecretType = "bootstrap.kubernetes.io/token";
constexpr const char* kGroupPrefix = "system:bootstrappers:";

// The decoded data[key] of a Secret ("" when absent or not base64).
std::string SecretData(const Json& secret, const char* key) {
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) return "";
  auto v = data->find(key);
  if (v == data->end() || !v->is_string()) return "";
  return pki::Base64Decode(v->get<std::string>()).value_or("");
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

BootstrapTokenAuthenticator::BootstrapTokenAuthenticator(storage::Store* store, const Clock* clock)
    : store_(store), clock_(clock) {}

Authenticator::Outcome BootstrapTokenAuthenticator::Authenticate(const HttpRequest& request) const {
  static const std::regex kForm("^([a-z0-9]{6})\\.([a-z0-9]{16})$");
  std::string auth = request.Header("authorization");
  const std::string bearer = "Bearer ";
  if (auth.rfind(bearer, 0) != 0) return {};
  std::string token = auth.substr(bearer.size());
  std::smatch m;
  if (!std::regex_match(token, m, kForm)) return {};  // another authenticator's
  const std::string id = m[1], secret = m[2];
  const char* kInvalid = "invalid bootstrap token";
  auto stored = store_->Get("/registry/core/secrets/kube-system/bootstrap-token-" + id);
  if (!stored) return {std::nullopt, kInvalid};
  Json s = Json::parse(stored->value, nullptr, false);
  if (!s.is_object() || s.value("type", "") != kSecretType) return {std::nullopt, kInvalid};
  if (s.contains("metadata") && s["metadata"].contains("deletionTimestamp")) {
    return {std::nullopt, kInvalid};
  }
  if (SecretData(s, "token-id") != id ||
      !ConstantTimeEqual(SecretData(s, "token-secret"), secret)) {
    return {std::nullopt, kInvalid};
  }
  if (SecretData(s, "usage-bootstrap-authentication") != "true") return {std::nullopt, kInvalid};
  std::string expiration = SecretData(s, "expiration");
  if (!expiration.empty()) {
    auto expires = api::k8s::ParseTime(expiration);
    if (!expires || clock_->Now() >= *expires) return {std::nullopt, "bootstrap token expired"};
  }
  UserInfo user;
  user.name = "system:bootstrap:" + id;
  user.groups = {"system:bootstrappers"};
  std::string extra = SecretData(s, "auth-extra-groups");
  for (size_t start = 0; start < extra.size();) {
    size_t end = std::min(extra.find(',', start), extra.size());
    std::string group = extra.substr(start, end - start);
    // Only groups under system:bootstrappers: may be added, as upstream.
    if (group.rfind(kGroupPrefix, 0) == 0) user.groups.push_back(group);
    start = end + 1;
  }
  user.groups.push_back("system:authenticated");
  return {user, ""};
}

}  // namespace capstan::control_plane::apiserver

#include "control-plane/apiserver/service_account_tokens.h"

#include "common/pki/jwt.h"

namespace capstan::control_plane::apiserver {

struct ServiceAccountTokens::Keys {
  std::string private_pem;
  std::string public_pem;
  std::string kid;
};

ServiceAccountTokens::ServiceAccountTokens(std::unique_ptr<Keys> keys, const Clock* clock)
    : keys_(std::move(keys)), clock_(clock) {}
ServiceAccountTokens::~ServiceAccountTokens() = default;

Result<std::unique_ptr<ServiceAccountTokens>> ServiceAccountTokens::Create(
    const pki::ClusterPki& pki, const Clock* clock) {
  auto keys = std::make_unique<Keys>();
  keys->private_pem = pki.sa_key_pem;
  keys->public_pem = pki.sa_pub_pem;
  CAPSTAN_ASSIGN_OR_RETURN(keys->kid, pki::KeyId(pki.sa_pub_pem));
  return std::unique_ptr<ServiceAccountTokens>(new ServiceAccountTokens(std::move(keys), clock));
}

Result<std::pair<std::string, WallTime>> ServiceAccountTokens::Issue(
    const TokenRequestSpec& spec) const {
  WallTime now = clock_->Now();
  WallTime expires = now + std::chrono::seconds(spec.expiration_seconds);
  auto secs = [](WallTime t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  Json k8s = {
      {"namespace", spec.namespace_},
      {"serviceaccount", {{"name", spec.service_account}, {"uid", spec.service_account_uid}}}};
  if (!spec.pod_name.empty()) k8s["pod"] = {{"name", spec.pod_name}, {"uid", spec.pod_uid}};
  Json claims = {
      {"iss", kIssuer},
      {"aud", spec.audiences.empty() ? std::vector<std::string>{kIssuer} : spec.audiences},
      {"sub", "system:serviceaccount:" + spec.namespace_ + ":" + spec.service_account},
      {"iat", secs(now)},
      {"nbf", secs(now)},
      {"exp", secs(expires)},
      {"kubernetes.io", k8s}};
  CAPSTAN_ASSIGN_OR_RETURN(std::string token, pki::SignJwt(claims, keys_->private_pem, keys_->kid));
  return std::make_pair(token, expires);
}

Result<ServiceAccountTokens::Verified> ServiceAccountTokens::Verify(
    const std::string& token) const {
  CAPSTAN_ASSIGN_OR_RETURN(Json claims, pki::VerifyJwt(token, keys_->public_pem, clock_->Now()));
  Verified v;
  if (claims.value("iss", "") == kIssuer) {
    // A bound token: our issuer, our audience, an expiry.
    const Json& aud = claims.value("aud", Json());
    bool ours = aud == Json(kIssuer);
    if (aud.is_array()) {
      for (const auto& a : aud) ours = ours || a == Json(kIssuer);
    }
    if (!ours) return Fail(Code::kPermissionDenied, "token audience is not this server");
    if (!claims.contains("exp")) return Fail(Code::kPermissionDenied, "token without expiry");
    const Json& k8s = claims.value("kubernetes.io", Json::object());
    v.namespace_ = StringOr(k8s.value("namespace", Json()));
    v.name = StringOr(Lookup(k8s, {"serviceaccount", "name"}));
    v.uid = StringOr(Lookup(k8s, {"serviceaccount", "uid"}));
    v.pod_name = StringOr(Lookup(k8s, {"pod", "name"}));
    v.pod_uid = StringOr(Lookup(k8s, {"pod", "uid"}));
  } else if (claims.value("iss", "") == "kubernetes/serviceaccount") {
    // Upstream's legacy secret-based tokens.
    v.namespace_ = StringOr(claims.value("kubernetes.io/serviceaccount/namespace", Json()));
    v.name = StringOr(claims.value("kubernetes.io/serviceaccount/service-account.name", Json()));
    v.uid = StringOr(claims.value("kubernetes.io/serviceaccount/service-account.uid", Json()));
  } else {
    return Fail(Code::kPermissionDenied, "token issuer is not this server");
  }
  if (v.namespace_.empty() || v.name.empty()) {
    return Fail(Code::kPermissionDenied, "token names no service account");
  }
  return v;
}

ServiceAccountTokenAuthenticator::ServiceAccountTokenAuthenticator(
    const ServiceAccountTokens* tokens, storage::Store* store)
    : tokens_(tokens), store_(store) {}

Authenticator::Outcome ServiceAccountTokenAuthenticator::Authenticate(
    const HttpRequest& request) const {
  std::string auth = request.Header("authorization");
  const std::string bearer = "Bearer ";
  if (auth.rfind(bearer, 0) != 0) return {};
  std::string token = auth.substr(bearer.size());
  if (token.find('.') == std::string::npos) return {};  // not a JWT: another authenticator's
  auto verified = tokens_->Verify(token);
  if (!verified) return {std::nullopt, verified.error().message()};
  // The service account (and a bound pod) must still exist as the token names them:
  // deleting it revokes its tokens.
  auto sa =
      store_->Get("/registry/core/serviceaccounts/" + verified->namespace_ + "/" + verified->name);
  if (!sa) return {std::nullopt, "the service account of the token is gone"};
  Json sa_obj = Json::parse(sa->value, nullptr, false);
  if (!verified->uid.empty() && MetaString(sa_obj, "uid") != verified->uid) {
    return {std::nullopt, "the service account of the token was replaced"};
  }
  if (!verified->pod_name.empty()) {
    auto pod =
        store_->Get("/registry/core/pods/" + verified->namespace_ + "/" + verified->pod_name);
    if (!pod) return {std::nullopt, "the pod the token is bound to is gone"};
    Json pod_obj = Json::parse(pod->value, nullptr, false);
    if (!verified->pod_uid.empty() && MetaString(pod_obj, "uid") != verified->pod_uid) {
      return {std::nullopt, "the pod the token is bound to was replaced"};
    }
  }
  UserInfo user;
  user.name = "system:serviceaccount:" + verified->namespace_ + ":" + verified->name;
  user.uid = verified->uid;
  user.groups = {"system:serviceaccounts", "system:serviceaccounts:" + verified->namespace_,
                 "system:authenticated"};
  if (!verified->pod_name.empty()) {
    user.extra["authentication.kubernetes.io/pod-name"] = {verified->pod_name};
    user.extra["authentication.kubernetes.io/pod-uid"] = {verified->pod_uid};
  }
  return {user, ""};
}

}  // namespace capstan::control_plane::apiserver

#pragma once
// Service-account tokens: the TokenRequest API (serviceaccounts/NAME/token, `kubectl create
// token`) mints bound JWTs signed with the cluster's service-account key (RS256, as
// upstream), and the authenticator accepts them (and upstream's legacy form) as
// system:serviceaccount:NS:NAME in groups system:serviceaccounts and
// system:serviceaccounts:NS, as long as the service account (and a bound pod) still exists
// with the same uid.

#include <memory>
#include <optional>
#include <string>

#include "common/pki/cluster_pki.h"
#include "control-plane/apiserver/auth.h"
#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

struct TokenRequestSpec {
  std::string namespace_;
  std::string service_account;
  std::string service_account_uid;
  std::vector<std::string> audiences;  // empty: the API server's own
  int64_t expiration_seconds = 3600;
  std::string pod_name;  // a bound pod, if any
  std::string pod_uid;
};

class ServiceAccountTokens {
 public:
  static Result<std::unique_ptr<ServiceAccountTokens>> Create(const pki::ClusterPki& pki,
                                                              const Clock* clock);
  ~ServiceAccountTokens();
  // The token and its expiry.
  Result<std::pair<std::string, WallTime>> Issue(const TokenRequestSpec& spec) const;

  struct Verified {
    std::string namespace_;
    std::string name;
    std::string uid;
    std::string pod_name;
    std::string pod_uid;
  };
  // Signature, algorithm, issuer, audience and expiry checked.
  Result<Verified> Verify(const std::string& token) const;

  static constexpr const char* kIssuer = "https://kubernetes.default.svc.cluster.local";

  struct Keys;

 private:
  explicit ServiceAccountTokens(std::unique_ptr<Keys> keys, const Clock* clock);
  std::unique_ptr<Keys> keys_;
  const Clock* clock_;
};

class ServiceAccountTokenAuthenticator : public Authenticator {
 public:
  ServiceAccountTokenAuthenticator(const ServiceAccountTokens* tokens, storage::Store* store);
  Outcome Authenticate(const HttpRequest& request) const override;

 private:
  const ServiceAccountTokens* tokens_;
  storage::Store* store_;
};

}  // namespace capstan::control_plane::apiserver

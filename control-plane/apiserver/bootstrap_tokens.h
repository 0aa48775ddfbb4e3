#pragma once
// Bootstrap tokens, kube-apiserver's join tokens ("abcdef.0123456789abcdef"): a Secret
// `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token in kube-system holds the secret
// half, its expiry and usages. A kubelet joining with one is system:bootstrap:<id> in group
// system:bootstrappers (and the token's auth-extra-groups), which may do one thing: ask for a
// client certificate through the CSR API. `capstan token create` makes them.

#include <string>

#include <nlohmann/json.hpp>

#include "api/k8s/bootstrap_token.h"
#include "common/time.h"
#include "control-plane/apiserver/auth.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::apiserver {

using api::k8s::BootstrapToken;
using api::k8s::BootstrapTokenSecret;
using api::k8s::GenerateBootstrapToken;

class BootstrapTokenAuthenticator : public Authenticator {
 public:
  BootstrapTokenAuthenticator(storage::Store* store, const Clock* clock);
  // Only bearer tokens of the bootstrap form are its; an unknown, expired, mismatched or
  // unusable one is refused (401).
  Outcome Authenticate(const HttpRequest& request) const override;

 private:
  storage::Store* store_;
  const Clock* clock_;
};

}  // namespace capstan::control_plane::apiserver

#pragma once
// Bootstrap tokens, kube-apiserver's join tokens ("abcdef.0123456789abcdef"): a Secret
// `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token in kube-system holds the secret
// half, its expiry and usages. A kubelet joining with one is system:bootstrap:<id> in group
// system:bootstrappers (and the token's auth-extra-groups), which may do one thing: ask for a
// client certificate through the CSR API. `capstan token create` makes them.

#include <string>

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "control-plane/apiserver/auth.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::apiserver {

struct BootstrapToken {
  std::string id;      // 6 of [a-z0-9]
  std::string secret;  // 16 of [a-z0-9]
  std::string Text() const { return id + "." + secret; }
};

// A new random token.
BootstrapToken GenerateBootstrapToken();
// The Secret that makes `token` valid for authentication until `expires`.
nlohmann::json BootstrapTokenSecret(const BootstrapToken& token, WallTime expires,
                                    const std::string& description);

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

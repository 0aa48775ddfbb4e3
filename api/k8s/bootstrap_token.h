#pragma once
// Bootstrap (join) tokens as kube-apiserver keeps them: "abcdef.0123456789abcdef", the secret
// half in a kube-system Secret bootstrap-token-<id> of type bootstrap.kubernetes.io/token.
// `capstan token create` makes them; capstan-server's authenticator reads them.

#include <string>

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace capstan::api::k8s {

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

}  // namespace capstan::api::k8s

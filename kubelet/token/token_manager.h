#pragma once
// TokenManager: bound service-account tokens for projected volumes, requested through the
// TokenRequest API (serviceaccounts/<name>/token, bound to the pod) and reused until 80% of
// their life, or 24 hours, has passed, as upstream's token manager. The volume refresh then
// writes the new token, so a pod always holds one that is valid. Expired tokens (those of
// pods that are gone, at the latest) are forgotten at the next request.

#include <map>
#include <mutex>
#include <string>

#include "api/k8s/client/api_client.h"
#include "api/k8s/pod.h"
#include "common/time.h"

namespace capstan::kubelet::token {

class TokenManager {
 public:
  TokenManager(api::k8s::client::ApiClient* api, const Clock* clock);

  Result<std::string> GetServiceAccountToken(
      const api::k8s::Pod& pod, const api::k8s::ServiceAccountTokenProjection& projection);

 private:
  struct Cached {
    std::string token;
    WallTime issued;
    WallTime expires;
    std::string pod_uid;
  };
  bool RequiresRefresh(const Cached& c) const;

  api::k8s::client::ApiClient* api_;
  const Clock* clock_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // by namespace/name/audience/expiration/pod uid
};

}  // namespace capstan::kubelet::token

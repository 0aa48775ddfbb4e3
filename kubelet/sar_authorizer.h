#pragma once
// SubjectAccessReviewAuthorizer: the kubelet API's authorization mode Webhook, as upstream:
// each request's attributes (verb, resource nodes, subresource proxy/log/stats/metrics, the
// node's name) go to the API server as a SubjectAccessReview, and its answer decides.
// Answers are cached for a while (allowed 5 min, denied 30 s) keyed by user and attributes,
// so a followed log or a scrape does not ask again each time.

#include <chrono>
#include <map>
#include <mutex>

#include "api/k8s/client/api_client.h"
#include "common/time.h"
#include "kubelet/server/auth.h"

namespace capstan::kubelet {

class SubjectAccessReviewAuthorizer : public server::Authorizer {
 public:
  SubjectAccessReviewAuthorizer(api::k8s::client::ApiClient* api, const Clock* clock);
  server::Decision Authorize(const server::RequestAttributes& attrs) const override;

 private:
  struct Cached {
    server::Decision decision;
    std::chrono::steady_clock::time_point until;
  };
  api::k8s::client::ApiClient* api_;
  const Clock* clock_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached> cache_;
};

}  // namespace capstan::kubelet

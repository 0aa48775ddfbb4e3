#include "kubelet/sar_authorizer.h"

#include <fmt/format.h>

namespace capstan::kubelet {
namespace {

const api::k8s::client::Resource kSubjectAccessReviews{"authorization.k8s.io", "v1",
                                                       "subjectaccessreviews", false};
constexpr std::chrono::minutes kAllowedTtl{5};
constexpr std::chrono::seconds kDeniedTtl{30};

}  // namespace

SubjectAccessReviewAuthorizer::SubjectAccessReviewAuthorizer(api::k8s::client::ApiClient* api,
                                                             const Clock* clock)
    : api_(api), clock_(clock) {}

server::Decision SubjectAccessReviewAuthorizer::Authorize(
    const server::RequestAttributes& attrs) const {
  std::string groups;
  for (const auto& g : attrs.user.groups) groups += g + ",";
  std::string key = fmt::format("{}|{}|{}|{}|{}|{}", attrs.user.name, groups, attrs.verb,
                                attrs.resource, attrs.subresource, attrs.name);
  auto now = clock_->Monotonic();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second.until) return it->second.decision;
  }
  api::k8s::client::Json resource = {{"verb", attrs.verb},
                                     {"group", ""},
                                     {"version", "v1"},
                                     {"resource", attrs.resource},
                                     {"subresource", attrs.subresource},
                                     {"name", attrs.name}};
  api::k8s::client::Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                                   {"kind", "SubjectAccessReview"},
                                   {"spec",
                                    {{"user", attrs.user.name},
                                     {"groups", attrs.user.groups},
                                     {"resourceAttributes", resource}}}};
  auto answer = api_->Create(kSubjectAccessReviews, "", review);
  if (!answer) {
    // Not cached: the API server may be back at the next request.
    return {false, "the API server could not be asked: " + answer.error().message()};
  }
  const auto& status = answer->value("status", api::k8s::client::Json::object());
  server::Decision d{status.value("allowed", false), status.value("reason", "")};
  std::lock_guard lock(mu_);
  if (cache_.size() > 10000) cache_.clear();  // bounded: a flood of distinct users
  cache_[key] = {d, now + (d.allowed ? std::chrono::duration_cast<std::chrono::seconds>(kAllowedTtl)
                                     : kDeniedTtl)};
  return d;
}

}  // namespace capstan::kubelet

#include "kubelet/token/token_manager.h"

#include <fmt/format.h>

#include "api/k8s/meta.h"

namespace capstan::kubelet::token {
namespace {

constexpr int64_t kDefaultExpirationSeconds = 3600;
constexpr auto kMaxTokenAge = std::chrono::hours(24);

}  // namespace

TokenManager::TokenManager(api::k8s::client::ApiClient* api, const Clock* clock)
    : api_(api), clock_(clock) {}

bool TokenManager::RequiresRefresh(const Cached& c) const {
  WallTime now = clock_->Now();
  if (now >= c.expires) return true;
  auto ttl = c.expires - c.issued;
  return now - c.issued > ttl * 8 / 10 || now - c.issued > kMaxTokenAge;
}

Result<std::string> TokenManager::GetServiceAccountToken(
    const api::k8s::Pod& pod, const api::k8s::ServiceAccountTokenProjection& projection) {
  const std::string sa =
      pod.spec.service_account_name.empty() ? "default" : pod.spec.service_account_name;
  const int64_t seconds = projection.expiration_seconds.value_or(kDefaultExpirationSeconds);
  const std::string key = fmt::format("{}/{}/{}/{}/{}", pod.metadata.namespace_, sa,
                                      projection.audience, seconds, pod.metadata.uid);
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && !RequiresRefresh(it->second)) return it->second.token;
  }
  api::k8s::client::Json spec = {{"expirationSeconds", seconds},
                                 {"boundObjectRef",
                                  {{"apiVersion", "v1"},
                                   {"kind", "Pod"},
                                   {"name", pod.metadata.name},
                                   {"uid", pod.metadata.uid}}}};
  // No audiences: the API server's own (its issuer), as upstream sends for "".
  if (!projection.audience.empty()) spec["audiences"] = {projection.audience};
  api::k8s::client::Json request = {
      {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", spec}};
  auto answer = api_->CreateSubresource(api::k8s::client::resources::kServiceAccounts,
                                        pod.metadata.namespace_, sa, "token", request);
  if (!answer) {
    return Fail(answer.error().code(), "requesting a token for service account {}/{}: {}",
                pod.metadata.namespace_, sa, answer.error().message());
  }
  const auto& status = (*answer).value("status", api::k8s::client::Json::object());
  std::string token = status.value("token", "");
  if (token.empty()) {
    return Fail(Code::kInternal, "TokenRequest for {}/{} returned no token",
                pod.metadata.namespace_, sa);
  }
  WallTime now = clock_->Now();
  WallTime expires = now + std::chrono::seconds(seconds);
  if (auto t = api::k8s::ParseTime(status.value("expirationTimestamp", "")); t) expires = *t;
  std::lock_guard lock(mu_);
  std::erase_if(cache_, [&](const auto& entry) { return now >= entry.second.expires; });
  cache_[key] = {token, now, expires, pod.metadata.uid};
  return token;
}

}  // namespace capstan::kubelet::token

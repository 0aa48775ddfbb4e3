#include "kubelet/server/auth.h"

#include <fmt/format.h>

namespace capstan::kubelet::server {

namespace {

class AlwaysAllow : public Authorizer {
 public:
  Decision Authorize(const RequestAttributes&) const override { return {true, ""}; }
};

class NoApiServerWebhook : public Authorizer {
 public:
  Decision Authorize(const RequestAttributes&) const override {
    return {false,
            "authorization mode Webhook needs an API server (SubjectAccessReview), which this "
            "kubelet is not connected to; set authorization.mode: AlwaysAllow to serve without "
            "one"};
  }
};

bool IsSubpath(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) {
    return false;
  }
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

std::optional<UserInfo> Authenticate(const AuthenticationConfig& config,
                                     const std::optional<PeerCertificate>& peer) {
  if (config.x509_enabled && peer && peer->verified && !peer->common_name.empty()) {
    UserInfo u{peer->common_name, peer->organizations};
    u.groups.push_back(kAuthenticatedGroup);
    return u;
  }
  if (config.anonymous_enabled) {
    return UserInfo{kAnonymousUser, {kUnauthenticatedGroup}};
  }
  return std::nullopt;
}

RequestAttributes AttributesFor(std::string_view method, std::string_view path, UserInfo user,
                                std::string node_name) {
  RequestAttributes a;
  a.user = std::move(user);
  if (method == "GET" || method == "HEAD") {
    a.verb = "get";
  } else if (method == "POST") {
    a.verb = "create";
  } else if (method == "PUT") {
    a.verb = "update";
  } else if (method == "PATCH") {
    a.verb = "patch";
  } else if (method == "DELETE") {
    a.verb = "delete";
  }
  if (IsSubpath(path, "/stats")) {
    a.subresource = "stats";
  } else if (IsSubpath(path, "/metrics")) {
    a.subresource = "metrics";
  } else if (IsSubpath(path, "/logs")) {
    a.subresource = "log";
  } else if (IsSubpath(path, "/checkpoint")) {
    a.subresource = "checkpoint";
  } else {
    a.subresource = "proxy";
  }
  a.name = std::move(node_name);
  a.path = std::string(path);
  return a;
}

std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer() { return std::make_unique<AlwaysAllow>(); }

std::unique_ptr<Authorizer> NewNoApiServerWebhookAuthorizer() {
  return std::make_unique<NoApiServerWebhook>();
}

Result<std::unique_ptr<Authorizer>> NewAuthorizer(std::string_view mode) {
  if (mode == "AlwaysAllow") {
    return NewAlwaysAllowAuthorizer();
  }
  if (mode == "Webhook") {
    return NewNoApiServerWebhookAuthorizer();
  }
  return Fail(Code::kInvalidArgument, "authorization.mode {:?}: want AlwaysAllow or Webhook", mode);
}

std::string ForbiddenMessage(const RequestAttributes& attrs, const std::string& reason) {
  std::string msg = fmt::format("Forbidden (user={}, verb={}, resource={}, subresource={})",
                                attrs.user.name, attrs.verb, attrs.resource, attrs.subresource);
  if (!reason.empty()) {
    msg += ": " + reason;
  }
  return msg;
}

}  // namespace capstan::kubelet::server

#pragma once
// Who is asking and may they: the kubelet API's authentication and authorization, as the
// upstream kubelet does them (pkg/kubelet/server/auth.go).
//
// Authentication: a client certificate that verifies against authentication.x509.clientCAFile
// names the user (CN) and its groups (O); otherwise, when authentication.anonymous.enabled,
// the request is system:anonymous; otherwise it is refused with 401. Bearer tokens need the
// API server's TokenReview, which comes with the API-server phase.
//
// Authorization: an Authorizer decides on the request's attributes (verb, resource "nodes",
// subresource "proxy"/"log"/"stats"/"metrics", node name); a refusal is 403.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::server {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";

// What the TLS handshake learned about the client's certificate.
struct PeerCertificate {
  bool verified = false;  // chains to the client CA (an unverified certificate is ignored)
  std::string common_name;
  std::vector<std::string> organizations;
};

struct AuthenticationConfig {
  bool anonymous_enabled = false;
  bool x509_enabled = false;  // a client CA is configured
};

// The user a request acts as, or nullopt for 401.
std::optional<UserInfo> Authenticate(const AuthenticationConfig& config,
                                     const std::optional<PeerCertificate>& peer);

struct RequestAttributes {
  UserInfo user;
  std::string verb;  // get, create, update, patch, delete
  std::string resource = "nodes";
  std::string subresource;  // proxy, log, stats, metrics, checkpoint
  std::string name;         // the node's name
  std::string path;
};

// The attributes upstream derives from a kubelet API request.
RequestAttributes AttributesFor(std::string_view method, std::string_view path, UserInfo user,
                                std::string node_name);

struct Decision {
  bool allowed = false;
  std::string reason;  // why not, for the 403 body
};

// Decides whether a request may proceed. Implementations are thread-safe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Decision Authorize(const RequestAttributes& attrs) const = 0;
};

// authorization.mode AlwaysAllow.
std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer();
// authorization.mode Webhook without an API server to ask (SubjectAccessReview): refuses every
// request, saying why. The API-server phase replaces it with a SubjectAccessReview client.
std::unique_ptr<Authorizer> NewNoApiServerWebhookAuthorizer();
// By config name: "AlwaysAllow" or "Webhook".
Result<std::unique_ptr<Authorizer>> NewAuthorizer(std::string_view mode);

// The 403 body, as upstream words it.
std::string ForbiddenMessage(const RequestAttributes& attrs, const std::string& reason);

}  // namespace capstan::kubelet::server

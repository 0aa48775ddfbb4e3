#pragma once
// Authentication and authorization seams of the API server.
//
// An Authenticator turns a request's credentials into a user (client certificate: CN is
// the user, O the groups; bearer tokens: service-account JWTs, bootstrap/join tokens). An
// Authorizer decides on the request's attributes (RBAC, the Node authorizer, ...).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control-plane/apiserver/http_server.h"

namespace capstan::control_plane::apiserver {

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;

  bool InGroup(const std::string& group) const;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // nullopt: these credentials are not this authenticator's (or there are none).
  // A set error string: they are, and they are invalid (the request gets 401).
  struct Outcome {
    std::optional<UserInfo> user;
    std::string error;
  };
  virtual Outcome Authenticate(const HttpRequest& request) const = 0;
};

// Tries each authenticator in order; the first that recognizes the credentials decides.
// With none recognized the user is system:anonymous (groups system:unauthenticated).
class UnionAuthenticator {
 public:
  void Add(std::unique_ptr<Authenticator> a) { authenticators_.push_back(std::move(a)); }
  Authenticator::Outcome Authenticate(const HttpRequest& request) const;

 private:
  std::vector<std::unique_ptr<Authenticator>> authenticators_;
};

// Client certificates verified by the TLS handshake against the cluster CA.
class ClientCertAuthenticator : public Authenticator {
 public:
  Outcome Authenticate(const HttpRequest& request) const override;
};

struct Attributes {
  UserInfo user;
  std::string verb;  // get list watch create update patch delete deletecollection (+ HTTP verbs
                     // in lower case for non-resource paths)
  bool resource_request = false;
  std::string namespace_;
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string name;
  std::string path;  // non-resource requests
};

enum class Decision { kAllow, kDeny, kNoOpinion };

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // `reason` says why, for the 403 message and SubjectAccessReview status.
  virtual Decision Authorize(const Attributes& attributes, std::string* reason) const = 0;
  // The rules this authorizer grants `user` in `namespace_` (cluster-wide ones included), for
  // SelfSubjectRulesReview (`kubectl auth can-i --list`).
  virtual std::vector<PolicyRule> RulesFor(const UserInfo& user,
                                           const std::string& namespace_) const {
    return {};
  }
};

// Asks each in order; the first Allow or Deny decides; all NoOpinion is a deny.
class UnionAuthorizer : public Authorizer {
 public:
  void Add(std::unique_ptr<Authorizer> a) { authorizers_.push_back(std::move(a)); }
  Decision Authorize(const Attributes& attributes, std::string* reason) const override;
  std::vector<PolicyRule> RulesFor(const UserInfo& user,
                                   const std::string& namespace_) const override;

 private:
  std::vector<std::unique_ptr<Authorizer>> authorizers_;
};

// system:masters may do anything, as kube-apiserver's privileged group.
class MastersAuthorizer : public Authorizer {
 public:
  Decision Authorize(const Attributes& attributes, std::string* reason) const override;
  std::vector<PolicyRule> RulesFor(const UserInfo& user,
                                   const std::string& namespace_) const override;
};

}  // namespace capstan::control_plane::apiserver

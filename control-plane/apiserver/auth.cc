#include "control-plane/apiserver/auth.h"

#include <algorithm>

namespace capstan::control_plane::apiserver {

bool UserInfo::InGroup(const std::string& group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

Authenticator::Outcome UnionAuthenticator::Authenticate(const HttpRequest& request) const {
  for (const auto& a : authenticators_) {
    Authenticator::Outcome outcome = a->Authenticate(request);
    if (outcome.user || !outcome.error.empty()) return outcome;
  }
  return {UserInfo{"system:anonymous", "", {"system:unauthenticated"}, {}}, ""};
}

Authenticator::Outcome ClientCertAuthenticator::Authenticate(const HttpRequest& request) const {
  if (!request.client_certificate || request.client_certificate->common_name.empty()) {
    return {};
  }
  UserInfo user;
  user.name = request.client_certificate->common_name;
  user.groups = request.client_certificate->organizations;
  user.groups.push_back("system:authenticated");
  return {user, ""};
}

Decision UnionAuthorizer::Authorize(const Attributes& attributes, std::string* reason) const {
  for (const auto& a : authorizers_) {
    Decision d = a->Authorize(attributes, reason);
    if (d != Decision::kNoOpinion) return d;
  }
  return Decision::kDeny;
}

Decision MastersAuthorizer::Authorize(const Attributes& attributes, std::string* reason) const {
  return attributes.user.InGroup("system:masters") ? Decision::kAllow : Decision::kNoOpinion;
}

}  // namespace capstan::control_plane::apiserver

namespace capstan::control_plane::apiserver {

std::vector<PolicyRule> UnionAuthorizer::RulesFor(const UserInfo& user,
                                                  const std::string& namespace_) const {
  std::vector<PolicyRule> out;
  for (const auto& a : authorizers_) {
    for (auto& r : a->RulesFor(user, namespace_)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<PolicyRule> MastersAuthorizer::RulesFor(const UserInfo& user,
                                                    const std::string& namespace_) const {
  if (!user.InGroup("system:masters")) return {};
  return {{{"*"}, {"*"}, {"*"}, {}, {}}, {{"*"}, {}, {}, {}, {"*"}}};
}

}  // namespace capstan::control_plane::apiserver

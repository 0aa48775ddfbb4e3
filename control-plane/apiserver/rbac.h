#pragma once
// RBAC: the authorizer over Roles, ClusterRoles and their bindings (rbac.authorization.k8s.io
// /v1), evaluated as kube-apiserver's: a request is allowed when any rule of any role bound
// to the user (or a group of theirs, or their service account) covers its verb, API group,
// resource[/subresource] and name, or its non-resource URL; nothing denies.
//
// The rules are read from storage once and cached; a watch on the RBAC prefix drops the
// cache on every change, so a new binding counts on the next request.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control-plane/apiserver/auth.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::apiserver {

std::vector<PolicyRule> ParseRules(const Json& rules);
// Whether one rule covers the request.
bool RuleAllows(const PolicyRule& rule, const Attributes& a);
// Whether a binding's subject is this user.
bool SubjectMatches(const Json& subject, const UserInfo& user, const std::string& binding_ns);

// The rules that apply, indexed for evaluation. Built from the stored RBAC objects.
struct RbacSnapshot {
  struct Binding {
    std::string namespace_;  // "" for ClusterRoleBindings
    Json subjects;
    std::vector<PolicyRule> rules;
  };
  std::vector<Binding> bindings;
};
RbacSnapshot BuildSnapshot(const std::vector<Json>& cluster_roles, const std::vector<Json>& roles,
                           const std::vector<Json>& cluster_role_bindings,
                           const std::vector<Json>& role_bindings);
Decision Evaluate(const RbacSnapshot& snapshot, const Attributes& a, std::string* reason);
std::vector<PolicyRule> RulesOf(const RbacSnapshot& snapshot, const UserInfo& user,
                                const std::string& namespace_);

class RbacAuthorizer : public Authorizer {
 public:
  explicit RbacAuthorizer(storage::Store* store);
  ~RbacAuthorizer() override;
  Decision Authorize(const Attributes& attributes, std::string* reason) const override;
  std::vector<PolicyRule> RulesFor(const UserInfo& user,
                                   const std::string& namespace_) const override;

 private:
  std::shared_ptr<const RbacSnapshot> Snapshot() const;
  void WatchLoop();

  storage::Store* store_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const RbacSnapshot> cached_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace capstan::control_plane::apiserver

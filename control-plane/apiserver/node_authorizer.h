#pragma once
// NodeAuthorizer: kube-apiserver's Node authorization mode. A kubelet (user
// system:node:<name> in group system:nodes) may read only the secrets, config maps, claims and
// volumes its own pods use, mint tokens only for its pods' service accounts, and write only
// its own Node, Lease and CSINode and the status of pods bound to it. Beyond those it has
// the system:node role's rules. Other users get no opinion, so RBAC decides for them.
//
// Upstream keeps a graph of pods, nodes and what they reference; capstan looks the pods of
// the node up in the store on each such request. Kubelets make few of them (a secret is
// watched once, not fetched per sync), so the graph is not worth its memory here.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control-plane/apiserver/auth.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::apiserver {

// The node a user is the kubelet of, or "" when it is no node.
std::string NodeNameOf(const UserInfo& user);

// NodeRestriction admission for creates by a kubelet: a Node only under its own name, a pod
// only as a mirror pod (annotation kubernetes.io/config.mirror) bound to itself. The reason to
// refuse, or "" to admit.
std::string CheckNodeRestriction(const UserInfo& user, const std::string& group,
                                 const std::string& resource, const nlohmann::json& object);

class NodeAuthorizer : public Authorizer {
 public:
  explicit NodeAuthorizer(storage::Store* store);
  Decision Authorize(const Attributes& attributes, std::string* reason) const override;
  std::vector<PolicyRule> RulesFor(const UserInfo& user,
                                   const std::string& namespace_) const override;

 private:
  // Whether a pod bound to `node` in `ns` satisfies `uses`.
  bool AnyPodOnNode(const std::string& node, const std::string& ns,
                    const std::function<bool(const nlohmann::json&)>& uses) const;
  Decision Core(const std::string& node, const Attributes& a, std::string* reason) const;

  storage::Store* store_;
  std::vector<PolicyRule> node_rules_;
};

}  // namespace capstan::control_plane::apiserver

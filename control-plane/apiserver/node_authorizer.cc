#include "control-plane/apiserver/node_authorizer.h"

#include <fmt/format.h>

#include <set>

#include "control-plane/apiserver/bootstrap_policy.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/rbac.h"

namespace capstan::control_plane::apiserver {
namespace {

using Json = nlohmann::json;

constexpr const char* kNodePrefix = "system:node:";

// What a pod references by name: the objects its kubelet must read to run it.
struct PodReferences {
  std::set<std::string> secrets, config_maps, claims;
  std::string service_account;
};

void AddName(std::set<std::string>& to, const Json& name) {
  if (name.is_string() && !name.get<std::string>().empty()) to.insert(name.get<std::string>());
}

PodReferences ReferencesOf(const Json& pod) {
  PodReferences r;
  const Json& spec = Lookup(pod, {"spec"});
  std::string sa = StringOr(Lookup(pod, {"spec", "serviceAccountName"}));
  r.service_account = sa.empty() ? "default" : sa;
  for (const auto& s : spec.value("imagePullSecrets", Json::array())) {
    AddName(r.secrets, s.value("name", Json()));
  }
  for (const auto& v : spec.value("volumes", Json::array())) {
    if (!v.is_object()) continue;
    AddName(r.secrets, Lookup(v, {"secret", "secretName"}));
    AddName(r.config_maps, Lookup(v, {"configMap", "name"}));
    AddName(r.claims, Lookup(v, {"persistentVolumeClaim", "claimName"}));
    AddName(r.secrets, Lookup(v, {"csi", "nodePublishSecretRef", "name"}));
    if (v.contains("ephemeral")) {
      AddName(r.claims, Json(MetaString(pod, "name") + "-" + StringOr(v.value("name", Json()))));
    }
    for (const auto& src : Lookup(v, {"projected", "sources"}).is_array()
                               ? Lookup(v, {"projected", "sources"})
                               : Json::array()) {
      AddName(r.secrets, Lookup(src, {"secret", "name"}));
      AddName(r.config_maps, Lookup(src, {"configMap", "name"}));
    }
  }
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    for (const auto& c : spec.value(list, Json::array())) {
      if (!c.is_object()) continue;
      for (const auto& e : c.value("env", Json::array())) {
        AddName(r.secrets, Lookup(e, {"valueFrom", "secretKeyRef", "name"}));
        AddName(r.config_maps, Lookup(e, {"valueFrom", "configMapKeyRef", "name"}));
      }
      for (const auto& e : c.value("envFrom", Json::array())) {
        AddName(r.secrets, Lookup(e, {"secretRef", "name"}));
        AddName(r.config_maps, Lookup(e, {"configMapRef", "name"}));
      }
    }
  }
  return r;
}

bool Reads(const std::string& verb) { return verb == "get" || verb == "list" || verb == "watch"; }

}  // namespace

std::string NodeNameOf(const UserInfo& user) {
  if (!user.InGroup("system:nodes") || user.name.rfind(kNodePrefix, 0) != 0) return "";
  return user.name.substr(std::string(kNodePrefix).size());
}

NodeAuthorizer::NodeAuthorizer(storage::Store* store) : store_(store) {
  for (const auto& role : BootstrapClusterRoles()) {
    if (MetaString(role, "name") == "system:node") node_rules_ = ParseRules(role["rules"]);
  }
}

std::vector<PolicyRule> NodeAuthorizer::RulesFor(const UserInfo& user,
                                                 const std::string& namespace_) const {
  return NodeNameOf(user).empty() ? std::vector<PolicyRule>{} : node_rules_;
}

bool NodeAuthorizer::AnyPodOnNode(const std::string& node, const std::string& ns,
                                  const std::function<bool(const Json&)>& uses) const {
  auto list = store_->List("/registry/core/pods/" + ns + "/", {});
  if (!list) return false;
  for (const auto& kv : list->items) {
    Json pod = Json::parse(kv.value, nullptr, false);
    if (StringOr(Lookup(pod, {"spec", "nodeName"})) == node && uses(pod)) return true;
  }
  return false;
}

Decision NodeAuthorizer::Core(const std::string& node, const Attributes& a,
                              std::string* reason) const {
  auto related = [&](const std::function<bool(const PodReferences&)>& uses) {
    if (a.name.empty() || a.namespace_.empty()) return false;
    return AnyPodOnNode(node, a.namespace_,
                        [&](const Json& pod) { return uses(ReferencesOf(pod)); });
  };
  auto pod_on_node = [&] {
    auto kv = store_->Get("/registry/core/pods/" + a.namespace_ + "/" + a.name);
    if (!kv) return false;
    Json pod = Json::parse(kv->value, nullptr, false);
    return StringOr(Lookup(pod, {"spec", "nodeName"})) == node;
  };
  const std::string& res = a.resource;
  if (res == "secrets" || res == "configmaps" || res == "persistentvolumeclaims") {
    if (!Reads(a.verb) || a.subresource != "") return Decision::kNoOpinion;
    bool ok = related([&](const PodReferences& r) {
      const auto& set = res == "secrets"      ? r.secrets
                        : res == "configmaps" ? r.config_maps
                                              : r.claims;
      return set.count(a.name) != 0;
    });
    return ok ? Decision::kAllow : Decision::kNoOpinion;
  }
  if (res == "persistentvolumes") {
    if (a.verb != "get" || a.name.empty()) return Decision::kNoOpinion;
    // Bound to a claim that a pod of the node uses.
    auto pv = store_->Get("/registry/core/persistentvolumes/" + a.name);
    if (!pv) return Decision::kNoOpinion;
    Json obj = Json::parse(pv->value, nullptr, false);
    Attributes claim = a;
    claim.namespace_ = StringOr(Lookup(obj, {"spec", "claimRef", "namespace"}));
    claim.name = StringOr(Lookup(obj, {"spec", "claimRef", "name"}));
    claim.resource = "persistentvolumeclaims";
    return Core(node, claim, reason);
  }
  if (res == "serviceaccounts") {
    if (a.subresource != "token" || a.verb != "create") return Decision::kNoOpinion;
    bool ok = related([&](const PodReferences& r) { return r.service_account == a.name; });
    return ok ? Decision::kAllow : Decision::kNoOpinion;
  }
  if (res == "nodes") {
    if (Reads(a.verb) && a.subresource.empty()) return Decision::kAllow;
    // A create names the Node in its body: NodeRestriction (CheckNodeRestriction) checks it.
    if (a.verb == "create" && a.name.empty()) return Decision::kAllow;
    return a.name == node ? Decision::kAllow : Decision::kNoOpinion;
  }
  if (res == "pods") {
    if (a.subresource.empty() && (Reads(a.verb) || a.verb == "create")) return Decision::kAllow;
    if (a.subresource.empty() && a.verb == "delete") {
      return pod_on_node() ? Decision::kAllow : Decision::kNoOpinion;
    }
    if ((a.subresource == "status" && (a.verb == "update" || a.verb == "patch")) ||
        (a.subresource == "eviction" && a.verb == "create")) {
      return pod_on_node() ? Decision::kAllow : Decision::kNoOpinion;
    }
    return Decision::kNoOpinion;
  }
  return Decision::kNoOpinion;
}

Decision NodeAuthorizer::Authorize(const Attributes& a, std::string* reason) const {
  std::string node = NodeNameOf(a.user);
  if (node.empty() || !a.resource_request) return Decision::kNoOpinion;
  Decision d = Decision::kNoOpinion;
  if (a.api_group.empty() &&
      (a.resource == "secrets" || a.resource == "configmaps" ||
       a.resource == "persistentvolumeclaims" || a.resource == "persistentvolumes" ||
       a.resource == "serviceaccounts" || a.resource == "nodes" || a.resource == "pods")) {
    d = Core(node, a, reason);
  } else if ((a.api_group == "coordination.k8s.io" && a.resource == "leases") ||
             (a.api_group == "storage.k8s.io" && a.resource == "csinodes")) {
    // Its own Lease (in kube-node-lease) and CSINode; a create names it in the body.
    bool lease_ns = a.resource != "leases" || a.namespace_ == "kube-node-lease";
    bool own = a.name == node || (a.verb == "create" && a.name.empty());
    d = lease_ns && own ? Decision::kAllow : Decision::kNoOpinion;
  } else {
    for (const auto& rule : node_rules_) {
      if (RuleAllows(rule, a)) return Decision::kAllow;
    }
  }
  if (d != Decision::kAllow && reason != nullptr) {
    *reason = fmt::format("no relationship found between node '{}' and this object", node);
  }
  return d;
}

}  // namespace capstan::control_plane::apiserver

namespace capstan::control_plane::apiserver {

std::string CheckNodeRestriction(const UserInfo& user, const std::string& group,
                                 const std::string& resource, const Json& object) {
  std::string node = NodeNameOf(user);
  if (node.empty() || !group.empty()) return "";
  if (resource == "nodes" && MetaString(object, "name") != node) {
    return fmt::format("node \"{}\" is not allowed to modify node \"{}\"", node,
                       MetaString(object, "name"));
  }
  if (resource == "pods") {
    const Json& annotations = Lookup(object, {"metadata", "annotations"});
    bool mirror = annotations.is_object() && annotations.contains("kubernetes.io/config.mirror");
    if (!mirror)
      return fmt::format(
          "pod does not have \"kubernetes.io/config.mirror\" annotation, node \"{}\" can only "
          "create mirror pods",
          node);
    if (StringOr(Lookup(object, {"spec", "nodeName"})) != node) {
      return fmt::format("node \"{}\" can only create pods with spec.nodeName set to itself", node);
    }
    // A mirror pod stands for a static pod, which may not use the API's objects: otherwise a
    // node could name any service account or secret and be allowed to read it (as upstream).
    if (!StringOr(Lookup(object, {"spec", "serviceAccountName"})).empty() ||
        !StringOr(Lookup(object, {"spec", "serviceAccount"})).empty()) {
      return fmt::format("node \"{}\" can not create pods that reference a service account", node);
    }
    PodReferences refs = ReferencesOf(object);
    if (!refs.secrets.empty()) {
      return fmt::format("node \"{}\" can not create pods that reference secrets", node);
    }
    if (!refs.config_maps.empty()) {
      return fmt::format("node \"{}\" can not create pods that reference configmaps", node);
    }
    if (!refs.claims.empty()) {
      return fmt::format("node \"{}\" can not create pods that reference persistentvolumeclaims",
                         node);
    }
  }
  return "";
}

}  // namespace capstan::control_plane::apiserver

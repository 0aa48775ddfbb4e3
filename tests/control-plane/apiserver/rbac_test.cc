#include "control-plane/apiserver/rbac.h"

#include <gtest/gtest.h>

#include "control-plane/apiserver/bootstrap_policy.h"

namespace capstan::control_plane::apiserver {
namespace {

Json RoleJson(const std::string& ns, const std::string& name, Json rules) {
  Json meta = {{"name", name}};
  if (!ns.empty()) meta["namespace"] = ns;
  return {{"metadata", meta}, {"rules", rules}};
}

Json BindingJson(const std::string& ns, const std::string& name, const std::string& role_kind,
                 const std::string& role, Json subjects) {
  Json meta = {{"name", name}};
  if (!ns.empty()) meta["namespace"] = ns;
  return {{"metadata", meta},
          {"roleRef", {{"kind", role_kind}, {"name", role}}},
          {"subjects", subjects}};
}

Attributes Request(const std::string& user, std::vector<std::string> groups,
                   const std::string& verb, const std::string& group, const std::string& resource,
                   const std::string& ns, const std::string& name = "",
                   const std::string& sub = "") {
  Attributes a;
  a.user.name = user;
  a.user.groups = std::move(groups);
  a.verb = verb;
  a.resource_request = true;
  a.api_group = group;
  a.resource = resource;
  a.namespace_ = ns;
  a.name = name;
  a.subresource = sub;
  return a;
}

TEST(Rbac, RoleBindingGrantsOnlyInItsNamespace) {
  auto snap = BuildSnapshot(
      {},
      {RoleJson(
          "dev", "reader",
          Json::parse(R"([{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}])"))},
      {},
      {BindingJson("dev", "b", "Role", "reader",
                   Json::parse(R"([{"kind":"User","name":"alice"}])"))});
  EXPECT_EQ(Evaluate(snap, Request("alice", {}, "list", "", "pods", "dev"), nullptr),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(snap, Request("alice", {}, "list", "", "pods", "prod"), nullptr),
            Decision::kNoOpinion);
  EXPECT_EQ(Evaluate(snap, Request("alice", {}, "delete", "", "pods", "dev"), nullptr),
            Decision::kNoOpinion);
  EXPECT_EQ(Evaluate(snap, Request("bob", {}, "list", "", "pods", "dev"), nullptr),
            Decision::kNoOpinion);
  // Subresources are separate resources.
  EXPECT_EQ(Evaluate(snap, Request("alice", {}, "get", "", "pods", "dev", "p", "log"), nullptr),
            Decision::kNoOpinion);
}

TEST(Rbac, ClusterRoleBindingGroupsServiceAccountsAndResourceNames) {
  auto snap = BuildSnapshot(
      {RoleJson(
           "", "cm-one",
           Json::parse(
               R"([{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["one"],"verbs":["get"]}])")),
       RoleJson("", "scale",
                Json::parse(R"([{"apiGroups":["apps"],"resources":["*/scale"],"verbs":["*"]}])"))},
      {},
      {BindingJson("", "g", "ClusterRole", "cm-one",
                   Json::parse(R"([{"kind":"Group","name":"devs"}])")),
       BindingJson("", "sa", "ClusterRole", "scale",
                   Json::parse(R"([{"kind":"ServiceAccount","name":"ci","namespace":"tools"}])"))},
      {});
  EXPECT_EQ(Evaluate(snap, Request("x", {"devs"}, "get", "", "configmaps", "a", "one"), nullptr),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(snap, Request("x", {"devs"}, "get", "", "configmaps", "a", "two"), nullptr),
            Decision::kNoOpinion);
  EXPECT_EQ(Evaluate(snap,
                     Request("system:serviceaccount:tools:ci", {}, "patch", "apps", "deployments",
                             "a", "web", "scale"),
                     nullptr),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(snap,
                     Request("system:serviceaccount:other:ci", {}, "patch", "apps", "deployments",
                             "a", "web", "scale"),
                     nullptr),
            Decision::kNoOpinion);
}

TEST(Rbac, BootstrapPolicy) {
  std::vector<Json> roles = BootstrapClusterRoles();
  std::vector<Json> bindings = BootstrapClusterRoleBindings();
  auto snap = BuildSnapshot(roles, {}, bindings, {});
  // system:masters is cluster-admin.
  EXPECT_EQ(
      Evaluate(snap, Request("admin", {"system:masters"}, "delete", "apps", "deployments", "x"),
               nullptr),
      Decision::kAllow);
  // Any authenticated user may discover the API and ask what it may do.
  Attributes discovery;
  discovery.user = {"someone", "", {"system:authenticated"}, {}};
  discovery.verb = "get";
  discovery.path = "/apis/apps/v1";
  EXPECT_EQ(Evaluate(snap, discovery, nullptr), Decision::kAllow);
  EXPECT_EQ(Evaluate(snap,
                     Request("someone", {"system:authenticated"}, "create", "authorization.k8s.io",
                             "selfsubjectaccessreviews", ""),
                     nullptr),
            Decision::kAllow);
  // ...and nothing else.
  EXPECT_EQ(
      Evaluate(snap, Request("someone", {"system:authenticated"}, "list", "", "pods", "default"),
               nullptr),
      Decision::kNoOpinion);
  // view through a RoleBinding to the ClusterRole reads pods but not secrets.
  auto with_view = BuildSnapshot(roles, {}, bindings,
                                 {BindingJson("dev", "v", "ClusterRole", "view",
                                              Json::parse(R"([{"kind":"User","name":"v"}])"))});
  EXPECT_EQ(Evaluate(with_view, Request("v", {}, "list", "", "pods", "dev"), nullptr),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(with_view, Request("v", {}, "get", "", "secrets", "dev"), nullptr),
            Decision::kNoOpinion);
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

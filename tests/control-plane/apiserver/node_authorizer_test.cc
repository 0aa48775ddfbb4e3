// The Node authorizer: a kubelet reaches only what its own pods use.

#include "control-plane/apiserver/node_authorizer.h"

#include <gtest/gtest.h>

#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class NodeAuthorizerTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    ASSERT_TRUE(registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", "app"}}}}, false));
    Json pod = Json::parse(R"({
      "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
      "spec": {"nodeName": "node-a", "serviceAccountName": "runner",
        "imagePullSecrets": [{"name": "pull"}],
        "containers": [{"name": "c", "image": "x",
          "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "k"}}}],
          "envFrom": [{"configMapRef": {"name": "env-cm"}}]}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                    {"name": "p", "projected": {"sources": [{"configMap": {"name": "proj-cm"}}]}}]}})");
    ASSERT_TRUE(registry_->Create(Res("pods"), "app", pod, false));
    Json pv = {{"apiVersion", "v1"},
               {"kind", "PersistentVolume"},
               {"metadata", {{"name", "pv-data"}}},
               {"spec",
                {{"capacity", {{"storage", "1Gi"}}},
                 {"accessModes", {"ReadWriteOnce"}},
                 {"hostPath", {{"path", "/tmp/x"}}},
                 {"claimRef", {{"namespace", "app"}, {"name", "data"}}}}}};
    ASSERT_TRUE(registry_->Create(Res("persistentvolumes"), "", pv, false));
  }
  Decision As(const std::string& node, const std::string& verb, const std::string& group,
              const std::string& resource, const std::string& ns, const std::string& name,
              const std::string& sub = "") {
    NodeAuthorizer authz(store_.get());
    Attributes a;
    a.user = {"system:node:" + node, "", {"system:nodes", "system:authenticated"}, {}};
    a.verb = verb;
    a.resource_request = true;
    a.api_group = group;
    a.resource = resource;
    a.namespace_ = ns;
    a.name = name;
    a.subresource = sub;
    std::string reason;
    return authz.Authorize(a, &reason);
  }
};

constexpr Decision kAllow = Decision::kAllow;
constexpr Decision kNo = Decision::kNoOpinion;

TEST_F(NodeAuthorizerTest, ReadsOnlyWhatItsPodsUse) {
  for (const char* s : {"pull", "env-secret"}) {
    EXPECT_EQ(As("node-a", "get", "", "secrets", "app", s), kAllow) << s;
    EXPECT_EQ(As("node-a", "watch", "", "secrets", "app", s), kAllow) << s;
    EXPECT_EQ(As("node-b", "get", "", "secrets", "app", s), kNo) << s;
  }
  EXPECT_EQ(As("node-a", "get", "", "secrets", "app", "other"), kNo);
  EXPECT_EQ(As("node-a", "list", "", "secrets", "app", ""), kNo);  // no listing all secrets
  EXPECT_EQ(As("node-a", "update", "", "secrets", "app", "pull"), kNo);
  EXPECT_EQ(As("node-a", "get", "", "configmaps", "app", "env-cm"), kAllow);
  EXPECT_EQ(As("node-a", "get", "", "configmaps", "app", "proj-cm"), kAllow);
  EXPECT_EQ(As("node-a", "get", "", "configmaps", "app", "nope"), kNo);
  EXPECT_EQ(As("node-a", "get", "", "persistentvolumeclaims", "app", "data"), kAllow);
  EXPECT_EQ(As("node-a", "get", "", "persistentvolumes", "", "pv-data"), kAllow);
  EXPECT_EQ(As("node-b", "get", "", "persistentvolumes", "", "pv-data"), kNo);
  EXPECT_EQ(As("node-a", "create", "", "serviceaccounts", "app", "runner", "token"), kAllow);
  EXPECT_EQ(As("node-a", "create", "", "serviceaccounts", "app", "default", "token"), kNo);
}

TEST_F(NodeAuthorizerTest, WritesOnlyItsOwnObjects) {
  EXPECT_EQ(As("node-a", "get", "", "nodes", "", "node-b"), kAllow);
  EXPECT_EQ(As("node-a", "patch", "", "nodes", "", "node-a", "status"), kAllow);
  EXPECT_EQ(As("node-a", "patch", "", "nodes", "", "node-b", "status"), kNo);
  EXPECT_EQ(As("node-a", "delete", "", "nodes", "", "node-b"), kNo);
  EXPECT_EQ(As("node-a", "patch", "", "pods", "app", "web", "status"), kAllow);
  EXPECT_EQ(As("node-b", "patch", "", "pods", "app", "web", "status"), kNo);
  EXPECT_EQ(As("node-a", "delete", "", "pods", "app", "web"), kAllow);
  EXPECT_EQ(As("node-b", "delete", "", "pods", "app", "web"), kNo);
  EXPECT_EQ(As("node-a", "list", "", "pods", "", ""), kAllow);
  EXPECT_EQ(As("node-a", "update", "coordination.k8s.io", "leases", "kube-node-lease", "node-a"),
            kAllow);
  EXPECT_EQ(As("node-a", "update", "coordination.k8s.io", "leases", "kube-node-lease", "node-b"),
            kNo);
  EXPECT_EQ(As("node-a", "get", "coordination.k8s.io", "leases", "default", "node-a"), kNo);
  EXPECT_EQ(As("node-a", "create", "", "events", "app", ""), kAllow);
  EXPECT_EQ(As("node-a", "create", "certificates.k8s.io", "certificatesigningrequests", "", ""),
            kAllow);
  EXPECT_EQ(As("node-a", "delete", "apps", "deployments", "app", "x"), kNo);
}

TEST_F(NodeAuthorizerTest, OtherUsersAreNotItsConcern) {
  NodeAuthorizer authz(store_.get());
  Attributes a;
  a.user = {"system:node:node-a", "", {"system:authenticated"}, {}};  // not in system:nodes
  a.verb = "get";
  a.resource_request = true;
  a.resource = "secrets";
  a.namespace_ = "app";
  a.name = "pull";
  EXPECT_EQ(authz.Authorize(a, nullptr), kNo);
  EXPECT_EQ(NodeNameOf({"alice", "", {"system:nodes"}, {}}), "");
  EXPECT_EQ(NodeNameOf({"system:node:n1", "", {"system:nodes"}, {}}), "n1");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

namespace capstan::control_plane::apiserver {
namespace {

// NodeRestriction: a node creates only mirror pods of itself, and they reference nothing.
TEST(NodeRestrictionTest, MirrorPodsOnlyAndReferencingNothing) {
  UserInfo node{"system:node:n1", "", {"system:nodes", "system:authenticated"}, {}};
  auto pod = [](const std::string& extra_spec) {
    Json p = Json::parse(R"({"metadata": {"name": "web-n1", "annotations":
        {"kubernetes.io/config.mirror": "abc"}}, "spec": {"nodeName": "n1",
        "containers": [{"name": "c", "image": "b"}]}})");
    if (!extra_spec.empty()) p["spec"].update(Json::parse(extra_spec));
    return p;
  };
  EXPECT_EQ(CheckNodeRestriction(node, "", "pods", pod("")), "");
  Json not_mirror = pod("");
  not_mirror["metadata"].erase("annotations");
  EXPECT_NE(CheckNodeRestriction(node, "", "pods", not_mirror).find("can only create mirror pods"),
            std::string::npos);
  EXPECT_NE(CheckNodeRestriction(node, "", "pods", pod(R"({"nodeName": "n2"})")).find("itself"),
            std::string::npos);
  EXPECT_EQ(CheckNodeRestriction(node, "", "pods", pod(R"({"serviceAccountName": "admin"})")),
            "node \"n1\" can not create pods that reference a service account");
  EXPECT_EQ(
      CheckNodeRestriction(node, "", "pods",
                           pod(R"({"volumes": [{"name": "s", "secret": {"secretName": "x"}}]})")),
      "node \"n1\" can not create pods that reference secrets");
  EXPECT_EQ(
      CheckNodeRestriction(
          node, "", "pods",
          pod(R"({"volumes": [{"name": "p", "projected": {"sources": [{"configMap": {"name": "c"}}]}}]})")),
      "node \"n1\" can not create pods that reference configmaps");
  EXPECT_EQ(
      CheckNodeRestriction(
          node, "", "pods",
          pod(R"({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "c"}}]})")),
      "node \"n1\" can not create pods that reference persistentvolumeclaims");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

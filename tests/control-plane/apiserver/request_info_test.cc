#include "control-plane/apiserver/request_info.h"

#include <gtest/gtest.h>

namespace capstan::control_plane::apiserver {
namespace {

struct Case {
  const char* method;
  const char* target;
  const char* verb;
  const char* group;
  const char* version;
  const char* ns;
  const char* resource;
  const char* name;
  const char* subresource;
};

class RequestInfoTest : public ::testing::TestWithParam<Case> {};

TEST_P(RequestInfoTest, ParsesAsKubeApiserver) {
  const Case& c = GetParam();
  RequestInfo info = ParseRequestInfo(c.method, c.target);
  EXPECT_TRUE(info.is_resource_request);
  EXPECT_EQ(info.verb, c.verb);
  EXPECT_EQ(info.group, c.group);
  EXPECT_EQ(info.version, c.version);
  EXPECT_EQ(info.namespace_, c.ns);
  EXPECT_EQ(info.resource, c.resource);
  EXPECT_EQ(info.name, c.name);
  EXPECT_EQ(info.subresource, c.subresource);
}

INSTANTIATE_TEST_SUITE_P(
    Paths, RequestInfoTest,
    ::testing::Values(Case{"GET", "/api/v1/pods", "list", "", "v1", "", "pods", "", ""},
                      Case{"GET", "/api/v1/namespaces/default/pods", "list", "", "v1", "default",
                           "pods", "", ""},
                      Case{"GET", "/api/v1/namespaces/default/pods?watch=true", "watch", "", "v1",
                           "default", "pods", "", ""},
                      Case{"GET", "/api/v1/watch/namespaces/default/pods", "watch", "", "v1",
                           "default", "pods", "", ""},
                      Case{"GET", "/api/v1/namespaces/default/pods/web", "get", "", "v1", "default",
                           "pods", "web", ""},
                      Case{"PUT", "/api/v1/namespaces/default/pods/web/status", "update", "", "v1",
                           "default", "pods", "web", "status"},
                      Case{"GET", "/api/v1/namespaces/kube-system", "get", "", "v1", "",
                           "namespaces", "kube-system", ""},
                      Case{"PUT", "/api/v1/namespaces/x/finalize", "update", "", "v1", "",
                           "namespaces", "x", "finalize"},
                      Case{"PATCH", "/apis/apps/v1/namespaces/ns1/deployments/web/scale", "patch",
                           "apps", "v1", "ns1", "deployments", "web", "scale"},
                      Case{"DELETE", "/apis/apps/v1/namespaces/ns1/deployments", "deletecollection",
                           "apps", "v1", "ns1", "deployments", "", ""},
                      Case{"POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "create",
                           "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", ""},
                      Case{"GET", "/api/v1/nodes/n%31", "get", "", "v1", "", "nodes", "n1", ""}),
    [](const ::testing::TestParamInfo<Case>& info) {
      // A readable test name: the verb and the case's index, e.g. "list_0".
      return std::string(info.param.verb) + "_" + std::to_string(info.index);
    });

TEST(RequestInfo, NonResourcePaths) {
  for (const char* p : {"/healthz", "/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1",
                        "/openapi/v2", "/version"}) {
    EXPECT_FALSE(ParseRequestInfo("GET", p).is_resource_request) << p;
  }
}

TEST(RequestInfo, QueryDecoding) {
  RequestInfo info =
      ParseRequestInfo("GET", "/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+(a%2Cb)&limit=5");
  EXPECT_EQ(info.query["labelSelector"], "app=web,tier in (a,b)");
  EXPECT_EQ(info.query["limit"], "5");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

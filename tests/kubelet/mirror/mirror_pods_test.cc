// Mirror pods of static pods, against the fake API client.

#include "kubelet/mirror/mirror_pods.h"

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "kubelet/sources/pod_config.h"

namespace capstan::kubelet::mirror {
namespace {

namespace res = api::k8s::client::resources;
using Json = api::k8s::client::Json;

api::k8s::Pod Static(const std::string& hash) {
  api::k8s::Pod p;
  p.metadata.name = "etcd-node-a";
  p.metadata.namespace_ = "kube-system";
  p.metadata.uid = hash;
  p.metadata.annotations[sources::kConfigHashAnnotation] = hash;
  p.metadata.annotations[sources::kConfigSourceAnnotation] = "file";
  p.spec.node_name = "node-a";
  api::k8s::Container c;
  c.name = "etcd";
  c.image = "etcd:3.5";
  p.spec.containers.push_back(c);
  return p;
}

TEST(MirrorPods, FollowTheirStaticPods) {
  api::k8s::client::FakeApiClient api;
  ASSERT_TRUE(api.Create(res::kNodes, "", {{"metadata", {{"name", "node-a"}}}}));
  std::vector<std::string> created;
  MirrorPods mirrors(&api, "node-a", [&](const std::string& uid) { created.push_back(uid); });

  mirrors.SyncOnce({Static("h1")});
  auto mirror = api.Get(res::kPods, "kube-system", "etcd-node-a");
  ASSERT_TRUE(mirror);
  EXPECT_EQ((*mirror)["metadata"]["annotations"]["kubernetes.io/config.mirror"], "h1");
  EXPECT_EQ((*mirror)["metadata"]["ownerReferences"][0]["kind"], "Node");
  EXPECT_EQ((*mirror)["spec"]["containers"][0]["image"], "etcd:3.5");
  EXPECT_EQ(created, std::vector<std::string>{"h1"});
  // Unchanged: nothing written.
  api.ClearCalls();
  mirrors.SyncOnce({Static("h1")});
  for (const auto& call : api.Calls()) EXPECT_EQ(call.rfind("list", 0), 0u) << call;

  // Deleted by someone: created again.
  ASSERT_TRUE(api.Delete(res::kPods, "kube-system", "etcd-node-a", 0));
  mirrors.SyncOnce({Static("h1")});
  EXPECT_TRUE(api.Get(res::kPods, "kube-system", "etcd-node-a"));
  EXPECT_EQ(created.size(), 2u);

  // The manifest changed: the old mirror goes, the new one comes.
  mirrors.SyncOnce({Static("h2")});
  EXPECT_FALSE(api.Get(res::kPods, "kube-system", "etcd-node-a"));
  mirrors.SyncOnce({Static("h2")});
  EXPECT_EQ((*api.Get(res::kPods, "kube-system",
                      "etcd-node-a"))["metadata"]["annotations"]["kubernetes.io/config.mirror"],
            "h2");

  // The manifest is gone: so is its mirror; other pods of the node are left alone.
  ASSERT_TRUE(api.Create(res::kPods, "default",
                         {{"metadata", {{"name", "app"}}}, {"spec", {{"nodeName", "node-a"}}}}));
  mirrors.SyncOnce({});
  EXPECT_FALSE(api.Get(res::kPods, "kube-system", "etcd-node-a"));
  EXPECT_TRUE(api.Get(res::kPods, "default", "app"));
}

}  // namespace
}  // namespace capstan::kubelet::mirror

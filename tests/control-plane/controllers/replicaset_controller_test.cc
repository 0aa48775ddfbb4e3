// ReplicaSetController: pods from the template with a controller reference, slow-start
// creation, deletion order, adoption and release, status.
#include "control-plane/controllers/replicaset_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kPods;
using client::resources::kReplicaSets;

Json ReplicaSet(int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}}};
}

class ReplicaSetControllerTest : public ControllerFixture {
 protected:
  static bool Ok(const Status& st) {
    if (!st) ADD_FAILURE() << st.error().message();
    return bool(st);
  }
  void SyncAll() {
    Sync(sets_);
    Sync(pods_);
  }
  client::Reflector sets_{&api_, kReplicaSets, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  ReplicaSetController controller_{&api_, &clock_, ReplicaSetController::Kind::kReplicaSet, &sets_,
                                   &pods_};
};

TEST_F(ReplicaSetControllerTest, CreatesPodsFromTheTemplateOwnedByTheSet) {
  ASSERT_TRUE(api_.Create(kReplicaSets, "default", ReplicaSet(3)));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  auto pods = Items(kPods);
  ASSERT_EQ(pods.size(), 3u);
  auto rs = api_.Get(kReplicaSets, "default", "web");
  for (const auto& p : pods) {
    EXPECT_EQ(p["metadata"]["name"].get<std::string>().rfind("web-", 0), 0u);
    EXPECT_EQ(p["metadata"]["labels"]["app"], "web");
    const Json& ref = p["metadata"]["ownerReferences"][0];
    EXPECT_EQ(ref["kind"], "ReplicaSet");
    EXPECT_EQ(ref["uid"], (*rs)["metadata"]["uid"]);
    EXPECT_EQ(ref["controller"], true);
  }
  EXPECT_EQ(EventMessages("SuccessfulCreate").size(), 3u);

  // The informer has not seen them yet: the next sync must not create more.
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  EXPECT_EQ(Items(kPods).size(), 3u);

  SyncAll();
  MakeReady(pods[0]["metadata"]["name"]);
  Sync(pods_);
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  rs = api_.Get(kReplicaSets, "default", "web");
  EXPECT_EQ((*rs)["status"]["replicas"], 3);
  EXPECT_EQ((*rs)["status"]["readyReplicas"], 1);
  EXPECT_EQ((*rs)["status"]["availableReplicas"], 1);
  EXPECT_EQ((*rs)["status"]["observedGeneration"], 1);
}

TEST_F(ReplicaSetControllerTest, ScalesDownNotReadyPodsFirstAndReplacesDeletedOnes) {
  ASSERT_TRUE(api_.Create(kReplicaSets, "default", ReplicaSet(3)));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  auto pods = Items(kPods);
  MakeReady(pods[0]["metadata"]["name"]);
  std::string ready = pods[0]["metadata"]["name"];
  ASSERT_TRUE(api_.Patch(kReplicaSets, "default", "web", client::PatchType::kMerge,
                         {{"spec", {{"replicas", 1}}}}, ""));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  pods = Items(kPods);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["metadata"]["name"], ready);
  EXPECT_EQ(EventMessages("SuccessfulDelete").size(), 2u);

  // A pod deleted by someone else is replaced.
  ASSERT_TRUE(api_.Delete(kPods, "default", ready, 0));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  pods = Items(kPods);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_NE(pods[0]["metadata"]["name"], ready);
}

TEST_F(ReplicaSetControllerTest, AdoptsMatchingOrphansAndReleasesPodsThatNoLongerMatch) {
  ASSERT_TRUE(api_.Create(kPods, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata", {{"name", "orphan"}, {"labels", {{"app", "web"}}}}},
                           {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}}));
  ASSERT_TRUE(api_.Create(kReplicaSets, "default", ReplicaSet(1)));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  auto pods = Items(kPods);
  ASSERT_EQ(pods.size(), 1u);  // adopted, not doubled
  EXPECT_EQ(pods[0]["metadata"]["ownerReferences"][0]["name"], "web");

  ASSERT_TRUE(api_.Patch(kPods, "default", "orphan", client::PatchType::kMerge,
                         {{"metadata", {{"labels", {{"app", "debug"}}}}}}, ""));
  SyncAll();
  ASSERT_TRUE(Ok(controller_.Sync("default/web")));
  auto released = api_.Get(kPods, "default", "orphan");
  EXPECT_TRUE((*released)["metadata"]["ownerReferences"].empty());
  EXPECT_EQ(Items(kPods).size(), 2u);  // and a replacement
}

TEST_F(ReplicaSetControllerTest, SlowStartStopsAtTheFirstFailedBatch) {
  Json rs = ReplicaSet(10);
  ASSERT_TRUE(api_.Create(kReplicaSets, "default", rs));
  SyncAll();
  api_.FailNext("create", Error(Code::kPermissionDenied, "quota exceeded"), 1);
  EXPECT_FALSE(controller_.Sync("default/web"));
  int creates = 0;
  for (const auto& c : api_.Calls()) creates += c.rfind("create pods", 0) == 0;
  EXPECT_EQ(creates, 1);  // one request, not ten
  EXPECT_EQ(EventMessages("FailedCreate").size(), 1u);
}

}  // namespace
}  // namespace capstan::control_plane::controllers

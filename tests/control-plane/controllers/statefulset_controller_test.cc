// StatefulSetController: ordered creation (pod 1 waits for pod 0 to be Ready), claims per
// pod, ordered scale-down, Parallel, rolling updates from the highest ordinal down to the
// partition, failed pods made again under their name, revisions in the status.
#include "control-plane/controllers/statefulset_controller.h"

#include <gmock/gmock.h>

#include "control-plane/controllers/controller_history.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kControllerRevisions;
using client::resources::kPersistentVolumeClaims;
using client::resources::kPods;
using client::resources::kStatefulSets;

Json StatefulSet(int replicas, Json extra = Json::object()) {
  Json set = {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}}},
      {"spec",
       {{"replicas", replicas},
        {"serviceName", "nginx"},
        {"podManagementPolicy", "OrderedReady"},
        {"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}}},
        {"selector", {{"matchLabels", {{"app", "nginx"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "nginx"}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "v1"}}}}}}}},
        {"volumeClaimTemplates",
         {{{"metadata", {{"name", "www"}}},
           {"spec",
            {{"accessModes", {"ReadWriteOnce"}},
             {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}}}}}};
  set["spec"].update(extra);
  return set;
}

class StatefulSetControllerTest : public ControllerFixture {
 protected:
  Status Step() {
    Sync(sets_);
    Sync(revisions_);
    Sync(pods_);
    auto st = controller_.Sync("default/web");
    if (!st) ADD_FAILURE() << st.error().message();
    return st;
  }
  // name -> image
  std::map<std::string, std::string> Pods() {
    std::map<std::string, std::string> out;
    for (const auto& p : Items(kPods))
      out[p["metadata"]["name"]] = p["spec"]["containers"][0]["image"];
    return out;
  }
  void AllReady() {
    for (const auto& p : Items(kPods)) {
      if (!p.value("status", Json::object()).contains("phase")) MakeReady(p["metadata"]["name"]);
    }
  }
  void SetImage(const std::string& image) {
    ASSERT_TRUE(api_.Patch(
        kStatefulSets, "default", "web", client::PatchType::kMerge,
        {{"spec",
          {{"template", {{"spec", {{"containers", {{{"name", "c"}, {"image", image}}}}}}}}}}},
        ""));
  }
  void Patch(Json spec) {
    ASSERT_TRUE(api_.Patch(kStatefulSets, "default", "web", client::PatchType::kMerge,
                           {{"spec", spec}}, ""));
  }
  Json SetStatusNow() { return (*api_.Get(kStatefulSets, "default", "web"))["status"]; }

  client::Reflector sets_{&api_, kStatefulSets, "", {}};
  client::Reflector revisions_{&api_, kControllerRevisions, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  StatefulSetController controller_{&api_, &clock_, &sets_, &revisions_, &pods_};
};

using Images = std::map<std::string, std::string>;

TEST_F(StatefulSetControllerTest, PodOneWaitsForPodZeroToBeReady) {
  ASSERT_TRUE(api_.Create(kStatefulSets, "default", StatefulSet(3)));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}}));
  auto pod = *api_.Get(kPods, "default", "web-0");
  EXPECT_EQ(pod["spec"]["hostname"], "web-0");
  EXPECT_EQ(pod["spec"]["subdomain"], "nginx");
  EXPECT_EQ(pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"], "web-0");
  EXPECT_EQ(pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"], "0");
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");
  EXPECT_EQ(pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "www-web-0");
  auto claim = api_.Get(kPersistentVolumeClaims, "default", "www-web-0");
  ASSERT_TRUE(claim);
  EXPECT_EQ((*claim)["metadata"]["labels"]["app"], "nginx");
  EXPECT_EQ((*claim)["spec"]["resources"]["requests"]["storage"], "1Gi");
  std::string revision = pod["metadata"]["labels"][kControllerRevisionHashLabel];
  EXPECT_EQ(revision.rfind("web-", 0), 0u);

  ASSERT_TRUE(Step());  // web-0 is not Ready: web-1 waits
  EXPECT_EQ(Pods().size(), 1u);
  MakeReady("web-0");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods().size(), 2u);
  MakeReady("web-1");
  ASSERT_TRUE(Step());
  MakeReady("web-2");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v1"}, {"web-2", "v1"}}));
  EXPECT_EQ(SetStatusNow()["readyReplicas"], 3);
  EXPECT_EQ(SetStatusNow()["currentRevision"], revision);
  EXPECT_EQ(SetStatusNow()["updateRevision"], revision);
  EXPECT_THAT(EventMessages("SuccessfulCreate"),
              ::testing::Contains("create Claim www-web-0 Pod web-0 in StatefulSet web success"));
}

TEST_F(StatefulSetControllerTest, ScalesDownFromTheHighestOrdinalOneAtATimeKeepingClaims) {
  ASSERT_TRUE(api_.Create(kStatefulSets, "default", StatefulSet(3)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Step());
    AllReady();
  }
  ASSERT_EQ(Pods().size(), 3u);
  Patch({{"replicas", 1}});
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v1"}}));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}}));
  EXPECT_EQ(Items(kPersistentVolumeClaims).size(), 3u);
  EXPECT_THAT(EventMessages("SuccessfulDelete"),
              ::testing::Contains("delete Pod web-2 in StatefulSet web successful"));
}

TEST_F(StatefulSetControllerTest, ACrashingPodDoesNotBlockAScaleDown) {
  ASSERT_TRUE(api_.Create(kStatefulSets, "default", StatefulSet(3)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Step());
    AllReady();
  }
  ASSERT_TRUE(api_.Patch(kPods, "default", "web-1", client::PatchType::kMerge,
                         {{"status", {{"conditions", {{{"type", "Ready"}, {"status", "False"}}}}}}},
                         "status"));
  Patch({{"replicas", 1}});
  ASSERT_TRUE(Step());  // web-2 is healthy: it goes although web-1 is not
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v1"}}));
  ASSERT_TRUE(Step());  // web-1 is the lowest unhealthy one: it goes too
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}}));
}

TEST_F(StatefulSetControllerTest, ParallelMakesThemAllAtOnce) {
  ASSERT_TRUE(
      api_.Create(kStatefulSets, "default", StatefulSet(3, {{"podManagementPolicy", "Parallel"}})));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods().size(), 3u);
}

TEST_F(StatefulSetControllerTest, RollingUpdateGoesDownToThePartition) {
  ASSERT_TRUE(api_.Create(kStatefulSets, "default", StatefulSet(3)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Step());
    AllReady();
  }
  std::string old_revision = SetStatusNow()["currentRevision"];
  Patch({{"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 1}}}}}});
  SetImage("v2");
  ASSERT_TRUE(Step());  // web-2 goes first
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v1"}}));
  ASSERT_TRUE(Step());  // and comes back at the new revision
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v1"}, {"web-2", "v2"}}));
  ASSERT_TRUE(Step());  // not Ready yet: web-1 waits
  EXPECT_EQ(Pods().size(), 3u);
  AllReady();
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v1"}, {"web-1", "v2"}, {"web-2", "v2"}}));
  EXPECT_EQ(SetStatusNow()["currentRevision"], old_revision);  // partitioned: not done
  EXPECT_EQ(SetStatusNow()["updatedReplicas"], 2);

  // A pod below the partition that is deleted comes back at the current revision.
  ASSERT_TRUE(api_.Delete(kPods, "default", "web-0", 0));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods()["web-0"], "v1");
  AllReady();

  Patch({{"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}}}});
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  ASSERT_TRUE(Step());
  EXPECT_EQ(Pods(), (Images{{"web-0", "v2"}, {"web-1", "v2"}, {"web-2", "v2"}}));
  EXPECT_EQ(SetStatusNow()["currentRevision"], SetStatusNow()["updateRevision"]);
  EXPECT_NE(SetStatusNow()["currentRevision"], old_revision);
}

TEST_F(StatefulSetControllerTest, AFailedPodIsMadeAgainUnderItsName) {
  ASSERT_TRUE(api_.Create(kStatefulSets, "default", StatefulSet(1)));
  ASSERT_TRUE(Step());
  std::string uid = (*api_.Get(kPods, "default", "web-0"))["metadata"]["uid"];
  ASSERT_TRUE(api_.Patch(kPods, "default", "web-0", client::PatchType::kMerge,
                         {{"status", {{"phase", "Failed"}}}}, "status"));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(Pods().empty());
  ASSERT_TRUE(Step());
  auto again = api_.Get(kPods, "default", "web-0");
  ASSERT_TRUE(again);
  EXPECT_NE((*again)["metadata"]["uid"], uid);
}

}  // namespace
}  // namespace capstan::control_plane::controllers

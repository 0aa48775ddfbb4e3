// DeploymentController: a ReplicaSet per template, rolling updates within maxSurge and
// maxUnavailable, revisions and change-cause, scaling without a new set, status.
#include "control-plane/controllers/deployment_controller.h"

#include "control-plane/controllers/deployment_util.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kDeployments;
using client::resources::kPods;
using client::resources::kReplicaSets;

Json Deployment(int replicas, const std::string& image) {
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata",
       {{"name", "web"},
        {"namespace", "default"},
        {"annotations", {{"kubernetes.io/change-cause", "first"}}}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", image}}}}}}}}}}};
}

class DeploymentControllerTest : public ControllerFixture {
 protected:
  void SyncAll() {
    Sync(deployments_);
    Sync(sets_);
    Sync(pods_);
  }
  // Plays the ReplicaSet controller and the kubelet: every set's pods exist and are ready.
  void SetsBecomeAvailable() {
    for (auto rs : Items(kReplicaSets)) {
      int64_t n = rs["spec"]["replicas"];
      rs["status"] = {{"replicas", n}, {"readyReplicas", n}, {"availableReplicas", n}};
      ASSERT_TRUE(api_.Update(kReplicaSets, "default", rs["metadata"]["name"], rs, "status"));
    }
  }
  std::map<std::string, int64_t> Replicas() {
    std::map<std::string, int64_t> out;
    for (const auto& rs : Items(kReplicaSets)) out[rs["metadata"]["name"]] = rs["spec"]["replicas"];
    return out;
  }
  Json Get() { return *api_.Get(kDeployments, "default", "web"); }
  Status Step() {
    SyncAll();
    auto st = controller_.Sync("default/web");
    if (!st) ADD_FAILURE() << st.error().message();
    return st;
  }

  client::Reflector deployments_{&api_, kDeployments, "", {}};
  client::Reflector sets_{&api_, kReplicaSets, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  DeploymentController controller_{&api_, &clock_, &deployments_, &sets_, &pods_};
};

TEST_F(DeploymentControllerTest, RollsOutANewTemplateWithinSurgeAndUnavailable) {
  ASSERT_TRUE(api_.Create(kDeployments, "default", Deployment(3, "busybox:1")));
  ASSERT_TRUE(Step());
  auto sets = Items(kReplicaSets);
  ASSERT_EQ(sets.size(), 1u);
  std::string first = sets[0]["metadata"]["name"];
  std::string hash = sets[0]["metadata"]["labels"][kPodTemplateHashLabel];
  EXPECT_EQ(first, "web-" + hash);
  EXPECT_EQ(hash.find_first_of("aeiou013"), std::string::npos);  // upstream's safe alphabet
  EXPECT_EQ(sets[0]["spec"]["selector"]["matchLabels"][kPodTemplateHashLabel], hash);
  EXPECT_EQ(sets[0]["spec"]["template"]["metadata"]["labels"][kPodTemplateHashLabel], hash);
  EXPECT_EQ(sets[0]["metadata"]["annotations"][kRevisionAnnotation], "1");
  EXPECT_EQ(sets[0]["metadata"]["annotations"]["kubernetes.io/change-cause"], "first");
  EXPECT_EQ(sets[0]["metadata"]["ownerReferences"][0]["kind"], "Deployment");
  EXPECT_EQ(sets[0]["spec"]["replicas"], 3);
  EXPECT_EQ(EventMessages("ScalingReplicaSet"),
            std::vector<std::string>{"Scaled up replica set " + first + " to 3"});
  EXPECT_EQ(Get()["metadata"]["annotations"][kRevisionAnnotation], "1");

  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  Json d = Get();
  EXPECT_EQ(d["status"]["updatedReplicas"], 3);
  EXPECT_EQ(d["status"]["availableReplicas"], 3);
  EXPECT_EQ(d["status"]["conditions"][0]["type"], "Available");
  EXPECT_EQ(d["status"]["conditions"][1]["reason"], "NewReplicaSetAvailable");

  // A new image: a second set, one surge pod at a time, no old pod removed before a new one
  // is available (maxUnavailable 0).
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  d["metadata"]["annotations"]["kubernetes.io/change-cause"] = "second";
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  auto replicas = Replicas();
  ASSERT_EQ(replicas.size(), 2u);
  std::string second;
  for (const auto& [name, n] : replicas) {
    if (name != first) second = name;
  }
  EXPECT_EQ(replicas[first], 3);
  EXPECT_EQ(replicas[second], 1);
  auto rs2 = api_.Get(kReplicaSets, "default", second);
  EXPECT_EQ((*rs2)["metadata"]["annotations"][kRevisionAnnotation], "2");
  EXPECT_EQ((*rs2)["metadata"]["annotations"]["kubernetes.io/change-cause"], "second");
  EXPECT_EQ(Get()["status"]["conditions"][1]["reason"], "ReplicaSetUpdated");

  for (int step = 0; step < 10 && Replicas()[first] > 0; ++step) {
    // Never more than 4 pods wanted, never fewer than 3 available.
    auto now = Replicas();
    EXPECT_LE(now[first] + now[second], 4);
    SetsBecomeAvailable();
    ASSERT_TRUE(Step());
  }
  replicas = Replicas();
  EXPECT_EQ(replicas[first], 0);
  EXPECT_EQ(replicas[second], 3);
  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  d = Get();
  EXPECT_EQ(d["metadata"]["annotations"][kRevisionAnnotation], "2");
  EXPECT_EQ(d["status"]["updatedReplicas"], 3);
  EXPECT_EQ(d["status"]["conditions"][1]["reason"], "NewReplicaSetAvailable");

  // Scaling makes no new set.
  d["spec"]["replicas"] = 5;
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  replicas = Replicas();
  EXPECT_EQ(replicas.size(), 2u);
  EXPECT_EQ(replicas[second], 5);

  // Undo as kubectl does it (the old template back, with the `creationTimestamp: null` a Go
  // client writes): the first set returns as revision 3.
  d = Get();
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1";
  d["spec"]["template"]["metadata"]["creationTimestamp"] = nullptr;
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kReplicaSets).size(), 2u);
  auto rs1 = api_.Get(kReplicaSets, "default", first);
  EXPECT_EQ((*rs1)["metadata"]["annotations"][kRevisionAnnotation], "3");
  EXPECT_EQ((*rs1)["metadata"]["annotations"][kRevisionHistoryAnnotation], "1");
}

// An undo to the revision already live: the same template comes back (as a Go client writes
// it, with null members), and nothing moves: no new set, no new revision.
TEST_F(DeploymentControllerTest, UndoToTheTemplateAlreadyLiveChangesNothing) {
  ASSERT_TRUE(api_.Create(kDeployments, "default", Deployment(3, "busybox:1")));
  ASSERT_TRUE(Step());
  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  Json d = Get();
  std::string revision = d["metadata"]["annotations"][kRevisionAnnotation];
  d["spec"]["template"]["metadata"]["creationTimestamp"] = nullptr;
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kReplicaSets).size(), 1u);
  EXPECT_EQ(Get()["metadata"]["annotations"][kRevisionAnnotation], revision);
}

// maxSurge 0: never more pods than wanted; an old pod goes before each new one starts.
TEST_F(DeploymentControllerTest, RollingUpdateWithMaxSurgeZero) {
  Json d = Deployment(3, "busybox:1");
  d["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", 0}, {"maxUnavailable", 1}};
  ASSERT_TRUE(api_.Create(kDeployments, "default", d));
  ASSERT_TRUE(Step());
  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  std::string first = Items(kReplicaSets)[0]["metadata"]["name"];
  d = Get();
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  int steps = 0;
  for (; steps < 20; ++steps) {
    ASSERT_TRUE(Step());
    auto now = Replicas();
    int64_t total = 0;
    for (const auto& [name, n] : now) total += n;
    EXPECT_LE(total, 3) << "step " << steps;
    EXPECT_GE(total, 2) << "step " << steps;
    if (now.size() == 2 && now[first] == 0 && total == 3) break;
    SetsBecomeAvailable();
  }
  EXPECT_LT(steps, 20);
}

// A scale in the middle of a rollout: the new set stops at the new count, the old one goes.
TEST_F(DeploymentControllerTest, ScaleDuringARollout) {
  ASSERT_TRUE(api_.Create(kDeployments, "default", Deployment(4, "busybox:1")));
  ASSERT_TRUE(Step());
  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  std::string first = Items(kReplicaSets)[0]["metadata"]["name"];
  Json d = Get();
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  SetsBecomeAvailable();
  ASSERT_TRUE(Step());
  d = Get();
  d["spec"]["replicas"] = 2;
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  for (int step = 0; step < 20 && Replicas()[first] > 0; ++step) {
    SetsBecomeAvailable();
    ASSERT_TRUE(Step());
  }
  auto replicas = Replicas();
  EXPECT_EQ(replicas[first], 0);
  for (const auto& [name, n] : replicas) {
    if (name != first) {
      EXPECT_EQ(n, 2);
    }
  }
}

TEST_F(DeploymentControllerTest, RecreateStopsOldPodsBeforeStartingNewOnes) {
  Json d = Deployment(2, "busybox:1");
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  ASSERT_TRUE(api_.Create(kDeployments, "default", d));
  ASSERT_TRUE(Step());
  SetsBecomeAvailable();
  auto first = Items(kReplicaSets)[0];
  // An old pod still running.
  ASSERT_TRUE(api_.Create(kPods, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata",
                            {{"name", "old"},
                             {"labels", {{"app", "web"}}},
                             {"ownerReferences",
                              {{{"apiVersion", "apps/v1"},
                                {"kind", "ReplicaSet"},
                                {"name", first["metadata"]["name"]},
                                {"uid", first["metadata"]["uid"]},
                                {"controller", true}}}}}},
                           {"status", {{"phase", "Running"}}}}));
  d = Get();
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  auto replicas = Replicas();
  EXPECT_EQ(replicas.size(), 1u);  // no new set while an old pod runs
  EXPECT_EQ(replicas[first["metadata"]["name"]], 0);
  ASSERT_TRUE(api_.Delete(kPods, "default", "old", 0));
  ASSERT_TRUE(Step());
  replicas = Replicas();
  ASSERT_EQ(replicas.size(), 2u);
  for (const auto& [name, n] : replicas) {
    if (name != first["metadata"]["name"]) {
      EXPECT_EQ(n, 2);
    }
  }
}

TEST_F(DeploymentControllerTest, PausedDeploymentsScaleButDoNotRollOut) {
  ASSERT_TRUE(api_.Create(kDeployments, "default", Deployment(2, "busybox:1")));
  ASSERT_TRUE(Step());
  Json d = Get();
  d["spec"]["paused"] = true;
  d["spec"]["replicas"] = 4;
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  ASSERT_TRUE(api_.Update(kDeployments, "default", "web", d, ""));
  ASSERT_TRUE(Step());
  auto replicas = Replicas();
  ASSERT_EQ(replicas.size(), 1u);
  EXPECT_EQ(replicas.begin()->second, 4);
  EXPECT_EQ(Get()["status"]["conditions"][1]["reason"], "DeploymentPaused");
}

TEST(DeploymentUtilTest, SurgeAndUnavailableResolveAsUpstream) {
  Json d = {
      {"spec",
       {{"replicas", 10},
        {"strategy", {{"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}}}}};
  EXPECT_EQ(ResolveSurgeAndUnavailable(d), std::make_pair(int64_t{3}, int64_t{2}));
  d["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", 0}, {"maxUnavailable", "0%"}};
  EXPECT_EQ(ResolveSurgeAndUnavailable(d), std::make_pair(int64_t{0}, int64_t{1}));
  Json t = {{"metadata", {{"labels", {{"app", "a"}}}}}};
  Json hashed = t;
  hashed["metadata"]["labels"][kPodTemplateHashLabel] = "x";
  EXPECT_TRUE(EqualIgnoringHash(t, hashed));
  EXPECT_EQ(PodTemplateHash(t, 0), PodTemplateHash(hashed, 0));
  EXPECT_NE(PodTemplateHash(t, 0), PodTemplateHash(t, 1));
}

}  // namespace
}  // namespace capstan::control_plane::controllers

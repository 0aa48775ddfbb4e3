// DisruptionController: a PodDisruptionBudget's status from the pods it selects, as
// pods/eviction reads it.
#include "control-plane/controllers/disruption_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kPodDisruptionBudgets;
using client::resources::kPods;
using client::resources::kReplicaSets;

class DisruptionControllerTest : public ControllerFixture {
 protected:
  void Budget(Json spec) {
    spec["selector"] = {{"matchLabels", {{"app", "db"}}}};
    ASSERT_TRUE(
        api_.Create(kPodDisruptionBudgets, "default",
                    {{"apiVersion", "policy/v1"},
                     {"kind", "PodDisruptionBudget"},
                     {"metadata", {{"name", "db"}, {"namespace", "default"}, {"generation", 1}}},
                     {"spec", spec}}));
  }
  void ReadyPod(const std::string& name, Json owner = nullptr) {
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "db"}}}}},
        {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}};
    if (!owner.is_null()) pod["metadata"]["ownerReferences"] = {owner};
    ASSERT_TRUE(api_.Create(kPods, "default", pod));
    MakeReady(name);
  }
  Json Status() {
    Sync(budgets_);
    Sync(pods_);
    EXPECT_TRUE(controller_.Sync("default/db"));
    return (*api_.Get(kPodDisruptionBudgets, "default", "db"))["status"];
  }

  client::Reflector budgets_{&api_, kPodDisruptionBudgets, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  DisruptionController controller_{&api_, &clock_, &budgets_, &pods_};
};

TEST_F(DisruptionControllerTest, MinAvailableCountsReadyPods) {
  Budget({{"minAvailable", 2}});
  for (const char* n : {"db-0", "db-1", "db-2"}) ReadyPod(n);
  Json s = Status();
  EXPECT_EQ(s["expectedPods"], 3);
  EXPECT_EQ(s["desiredHealthy"], 2);
  EXPECT_EQ(s["currentHealthy"], 3);
  EXPECT_EQ(s["disruptionsAllowed"], 1);
  EXPECT_EQ(s["observedGeneration"], 1);
  EXPECT_EQ(s["conditions"][0]["reason"], "SufficientPods");

  // An eviction granted (as pods/eviction records it): that pod no longer counts.
  Json pdb = *api_.Get(kPodDisruptionBudgets, "default", "db");
  pdb["status"]["disruptionsAllowed"] = 0;
  pdb["status"]["disruptedPods"] = {{"db-2", "2026-01-01T00:00:00Z"}};
  ASSERT_TRUE(api_.Update(kPodDisruptionBudgets, "default", "db", pdb, "status"));
  s = Status();
  EXPECT_EQ(s["currentHealthy"], 2);
  EXPECT_EQ(s["disruptionsAllowed"], 0);
  EXPECT_EQ(s["conditions"][0]["status"], "False");
  EXPECT_EQ(s["conditions"][0]["reason"], "InsufficientPods");
  // Once the pod is gone the entry goes too.
  ASSERT_TRUE(api_.Delete(kPods, "default", "db-2"));
  s = Status();
  EXPECT_FALSE(s.contains("disruptedPods"));
  EXPECT_EQ(s["expectedPods"], 2);
  EXPECT_EQ(s["disruptionsAllowed"], 0);
}

TEST_F(DisruptionControllerTest, MaxUnavailableCountsTheControllersReplicas) {
  auto rs = api_.Create(kReplicaSets, "default",
                        {{"apiVersion", "apps/v1"},
                         {"kind", "ReplicaSet"},
                         {"metadata", {{"name", "db"}, {"namespace", "default"}}},
                         {"spec", {{"replicas", 4}}}});
  ASSERT_TRUE(rs);
  Json owner = {{"apiVersion", "apps/v1"},
                {"kind", "ReplicaSet"},
                {"name", "db"},
                {"uid", (*rs)["metadata"]["uid"]},
                {"controller", true}};
  Budget({{"maxUnavailable", "50%"}});
  for (const char* n : {"db-a", "db-b", "db-c"}) ReadyPod(n, owner);  // one still missing
  Json s = Status();
  EXPECT_EQ(s["expectedPods"], 4);
  EXPECT_EQ(s["desiredHealthy"], 2);
  EXPECT_EQ(s["currentHealthy"], 3);
  EXPECT_EQ(s["disruptionsAllowed"], 1);
}

}  // namespace
}  // namespace capstan::control_plane::controllers

// DaemonSetController: a pod per eligible node (taints, selectors, new nodes), a node that
// gains a taint, rolling updates within maxUnavailable and with maxSurge, OnDelete,
// ControllerRevisions for rollout history and undo, failed pods replaced, status.
#include "control-plane/controllers/daemonset_controller.h"

#include "control-plane/controllers/controller_history.h"
#include "control-plane/controllers/pod_util.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kControllerRevisions;
using client::resources::kDaemonSets;
using client::resources::kNodes;
using client::resources::kPods;

Json DaemonSet(const std::string& image,
               Json strategy = {{"type", "RollingUpdate"},
                                {"rollingUpdate", {{"maxUnavailable", 1}}}}) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata",
           {{"name", "agent"},
            {"namespace", "default"},
            {"annotations", {{"kubernetes.io/change-cause", "first"}}}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", "agent"}}}}},
            {"updateStrategy", strategy},
            {"revisionHistoryLimit", 10},
            {"template",
             {{"metadata", {{"labels", {{"app", "agent"}}}}},
              {"spec",
               {{"containers", {{{"name", "c"}, {"image", image}}}},
                {"tolerations",
                 {{{"key", "dedicated"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}}}}}}}}}};
}

Json Node(const std::string& name, Json taints = Json::array(), Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"taints", taints}}}};
}

class DaemonSetControllerTest : public ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(api_.Create(kNodes, "", Node(n)));
  }
  Status Step() {
    Sync(sets_);
    Sync(revisions_);
    Sync(pods_);
    Sync(nodes_);
    auto st = controller_.Sync("default/agent");
    if (!st) ADD_FAILURE() << st.error().message();
    return st;
  }
  // node -> the images of the set's pods there.
  std::map<std::string, std::vector<std::string>> PodsByNode() {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& p : Items(kPods)) {
      const Json& term =
          p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
           ["nodeSelectorTerms"][0];
      out[term["matchFields"][0]["values"][0]].push_back(p["spec"]["containers"][0]["image"]);
    }
    return out;
  }
  std::string PodOn(const std::string& node) {
    for (const auto& p : Items(kPods)) {
      if (p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
           ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0] == node) {
        return p["metadata"]["name"];
      }
    }
    return "";
  }
  void AllReady() {
    for (const auto& p : Items(kPods)) {
      if (!IsPodReady(p)) MakeReady(p["metadata"]["name"]);
    }
  }
  void SetImage(const std::string& image) {
    ASSERT_TRUE(api_.Patch(
        kDaemonSets, "default", "agent", client::PatchType::kMerge,
        {{"spec",
          {{"template", {{"spec", {{"containers", {{{"name", "c"}, {"image", image}}}}}}}}}}},
        ""));
  }
  void SetTaints(const std::string& node, Json taints) {
    ASSERT_TRUE(api_.Patch(kNodes, "", node, client::PatchType::kMerge,
                           {{"spec", {{"taints", taints}}}}, ""));
  }
  Json StatusOfSet() { return (*api_.Get(kDaemonSets, "default", "agent"))["status"]; }

  client::Reflector sets_{&api_, kDaemonSets, "", {}};
  client::Reflector revisions_{&api_, kControllerRevisions, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  client::Reflector nodes_{&api_, kNodes, "", {}};
  DaemonSetController controller_{&api_, &clock_, &sets_, &revisions_, &pods_, &nodes_};
};

using Images = std::map<std::string, std::vector<std::string>>;

TEST_F(DaemonSetControllerTest, APodOnEveryNodeItToleratesAndOneMoreWhenANodeJoins) {
  SetTaints("b", {{{"key", "dedicated"}, {"value", "infra"}, {"effect", "NoSchedule"}}});
  SetTaints("c", {{{"key", "gpu"}, {"value", "yes"}, {"effect", "NoSchedule"}}});
  // A cordoned node still runs daemons: every daemon pod tolerates unschedulable.
  ASSERT_TRUE(api_.Create(
      kNodes, "",
      Node("d", {{{"key", "node.kubernetes.io/unschedulable"}, {"effect", "NoSchedule"}}})));
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"a", {"v1"}}, {"b", {"v1"}}, {"d", {"v1"}}}));
  auto pod = Items(kPods)[0];
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["kind"], "DaemonSet");
  EXPECT_EQ(pod["metadata"]["name"].get<std::string>().rfind("agent-", 0), 0u);
  EXPECT_FALSE(pod["metadata"]["labels"][kControllerRevisionHashLabel].get<std::string>().empty());
  std::set<std::string> tolerated;
  for (const auto& t : pod["spec"]["tolerations"]) tolerated.insert(t["key"]);
  EXPECT_TRUE(tolerated.contains("node.kubernetes.io/not-ready"));
  EXPECT_TRUE(tolerated.contains("dedicated"));
  EXPECT_EQ(EventMessages("SuccessfulCreate").size(), 3u);

  // Nothing new while the informer has not seen them; then the status counts them.
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 3u);
  AllReady();
  ASSERT_TRUE(Step());
  EXPECT_EQ(StatusOfSet()["desiredNumberScheduled"], 3);
  EXPECT_EQ(StatusOfSet()["currentNumberScheduled"], 3);
  EXPECT_EQ(StatusOfSet()["numberReady"], 3);
  EXPECT_EQ(StatusOfSet()["numberAvailable"], 3);
  EXPECT_EQ(StatusOfSet()["updatedNumberScheduled"], 3);
  EXPECT_EQ(StatusOfSet()["numberMisscheduled"], 0);
  EXPECT_FALSE(StatusOfSet().contains("numberUnavailable"));

  ASSERT_TRUE(api_.Create(kNodes, "", Node("e")));
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode().count("e"), 1u);
}

TEST_F(DaemonSetControllerTest, ANodeGainingATaintKeepsItsPodUnlessTheTaintIsNoExecute) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  SetTaints("a", {{{"key", "gpu"}, {"effect", "NoSchedule"}}});
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode().size(), 3u);  // NoSchedule: the pod there stays
  EXPECT_EQ(StatusOfSet()["desiredNumberScheduled"], 2);
  EXPECT_EQ(StatusOfSet()["numberMisscheduled"], 1);

  SetTaints("a", {{{"key", "gpu"}, {"effect", "NoExecute"}}});
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"b", {"v1"}}, {"c", {"v1"}}}));
  EXPECT_EQ(EventMessages("SuccessfulDelete").size(), 1u);

  // The taint goes: a pod comes back.
  SetTaints("a", Json::array());
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode().size(), 3u);
}

TEST_F(DaemonSetControllerTest, NodeSelectorWaitsForTheLabel) {
  Json ds = DaemonSet("v1");
  ds["spec"]["template"]["spec"]["nodeSelector"] = {{"disktype", "ssd"}};
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", ds));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(Items(kPods).empty());
  EXPECT_EQ(StatusOfSet()["desiredNumberScheduled"], 0);
  ASSERT_TRUE(api_.Patch(kNodes, "", "b", client::PatchType::kMerge,
                         {{"metadata", {{"labels", {{"disktype", "ssd"}}}}}}, ""));
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"b", {"v1"}}}));
}

TEST_F(DaemonSetControllerTest, RollingUpdateReplacesOneNodeAtATime) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  SetImage("v2");
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(Step());  // an old pod goes
    auto by_node = PodsByNode();
    EXPECT_EQ(by_node.size(), 2u) << "round " << round;
    ASSERT_TRUE(Step());  // its replacement comes, of the new template
    EXPECT_EQ(PodsByNode().size(), 3u);
    ASSERT_TRUE(Step());  // not ready yet: nothing else may go
    EXPECT_EQ(PodsByNode().size(), 3u);
    AllReady();
  }
  EXPECT_EQ(PodsByNode(), (Images{{"a", {"v2"}}, {"b", {"v2"}}, {"c", {"v2"}}}));
  ASSERT_TRUE(Step());
  EXPECT_EQ(StatusOfSet()["updatedNumberScheduled"], 3);
  EXPECT_EQ(StatusOfSet()["numberAvailable"], 3);
}

TEST_F(DaemonSetControllerTest, MaxSurgeStartsTheNewPodBesideTheOld) {
  ASSERT_TRUE(
      api_.Create(kDaemonSets, "default",
                  DaemonSet("v1", {{"type", "RollingUpdate"},
                                   {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}})));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  SetImage("v2");
  ASSERT_TRUE(Step());
  auto by_node = PodsByNode();
  int surging = 0;
  for (auto& [node, images] : by_node) surging += images.size() == 2;
  EXPECT_EQ(surging, 1);
  EXPECT_EQ(Items(kPods).size(), 4u);
  ASSERT_TRUE(Step());  // the new pod is not ready: the old one stays, no second surge
  EXPECT_EQ(Items(kPods).size(), 4u);
  AllReady();
  ASSERT_TRUE(Step());  // the new one is ready: the old one beside it goes
  EXPECT_EQ(Items(kPods).size(), 3u);
}

TEST_F(DaemonSetControllerTest, OnDeleteReplacesOnlyPodsSomeoneDeleted) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1", {{"type", "OnDelete"}})));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  SetImage("v2");
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"a", {"v1"}}, {"b", {"v1"}}, {"c", {"v1"}}}));
  ASSERT_TRUE(api_.Delete(kPods, "default", PodOn("a"), 0));
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"a", {"v2"}}, {"b", {"v1"}}, {"c", {"v1"}}}));
  ASSERT_TRUE(Step());
  EXPECT_EQ(StatusOfSet()["updatedNumberScheduled"], 1);
}

TEST_F(DaemonSetControllerTest, RevisionsRecordTemplatesAndAnUndoReusesTheOldOne) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  auto revisions = Items(kControllerRevisions);
  ASSERT_EQ(revisions.size(), 1u);
  const Json first = revisions[0];
  EXPECT_EQ(first["revision"], 1);
  EXPECT_EQ(first["metadata"]["labels"]["app"], "agent");  // kubectl finds them by selector
  EXPECT_EQ(first["metadata"]["annotations"]["kubernetes.io/change-cause"], "first");
  EXPECT_EQ(first["metadata"]["ownerReferences"][0]["kind"], "DaemonSet");
  EXPECT_EQ(first["data"]["spec"]["template"]["$patch"], "replace");

  SetImage("v2");
  ASSERT_TRUE(Step());
  ASSERT_EQ(Items(kControllerRevisions).size(), 2u);

  // kubectl rollout undo: the first revision's data as a strategic merge patch.
  ASSERT_TRUE(api_.Patch(kDaemonSets, "default", "agent", client::PatchType::kStrategic,
                         first["data"], ""));
  ASSERT_TRUE(Step());
  revisions = Items(kControllerRevisions);
  ASSERT_EQ(revisions.size(), 2u);  // no third: the first is renumbered
  for (const auto& r : revisions) {
    if (r["metadata"]["name"] == first["metadata"]["name"]) {
      EXPECT_EQ(r["revision"], 3);
    }
  }
  auto ds = *api_.Get(kDaemonSets, "default", "agent");
  EXPECT_EQ(ds["spec"]["template"]["spec"]["containers"][0]["image"], "v1");
  EXPECT_FALSE(ds["spec"]["template"].contains("$patch"));
}

TEST_F(DaemonSetControllerTest, HistoryBeyondTheLimitGoesButNotWhatPodsStillRun) {
  Json ds = DaemonSet("v1", {{"type", "OnDelete"}});
  ds["spec"]["revisionHistoryLimit"] = 0;
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", ds));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  SetImage("v2");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kControllerRevisions).size(), 2u);  // v1 pods still run
  for (const auto& p : Items(kPods))
    ASSERT_TRUE(api_.Delete(kPods, "default", p["metadata"]["name"], 0));
  ASSERT_TRUE(Step());  // v2 pods made
  ASSERT_TRUE(Step());
  auto revisions = Items(kControllerRevisions);
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0]["revision"], 2);
}

TEST_F(DaemonSetControllerTest, AFailedPodIsDeletedThenReplaced) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  std::string failed;
  for (const auto& p : Items(kPods)) failed = p["metadata"]["name"];
  ASSERT_TRUE(api_.Patch(kPods, "default", failed, client::PatchType::kMerge,
                         {{"status", {{"phase", "Failed"}}}}, "status"));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 2u);
  EXPECT_EQ(EventMessages("FailedDaemonPod").size(), 1u);
  ASSERT_TRUE(Step());  // the replacement backs off a second
  EXPECT_EQ(Items(kPods).size(), 2u);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 3u);
}

TEST_F(DaemonSetControllerTest, APodStillTerminatingHoldsItsNodeWithoutSurge) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(api_.Patch(kPods, "default", PodOn("a"), client::PatchType::kMerge,
                         {{"metadata", {{"deletionTimestamp", "2026-01-01T00:00:30Z"}}}}, ""));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 3u);  // no second pod on a while the first stops
}

TEST_F(DaemonSetControllerTest, PodsHeldToANodeThatIsGoneAreRemoved) {
  ASSERT_TRUE(api_.Create(kDaemonSets, "default", DaemonSet("v1")));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(api_.Delete(kNodes, "", "c", 0));
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsByNode(), (Images{{"a", {"v1"}}, {"b", {"v1"}}}));
}

TEST_F(DaemonSetControllerTest, DuringASurgeTheOldPodIsWhatStatusCounts) {
  ASSERT_TRUE(api_.Create(
      kDaemonSets, "default",
      DaemonSet("v1", {{"type", "RollingUpdate"},
                       {"rollingUpdate", {{"maxSurge", "100%"}, {"maxUnavailable", 0}}}})));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  AllReady();
  SetImage("v2");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 6u);  // every node surges at 100%
  ASSERT_TRUE(Step());
  // New pods not ready: rollout status must keep waiting.
  EXPECT_FALSE(StatusOfSet().contains("updatedNumberScheduled"));
  EXPECT_EQ(StatusOfSet()["numberAvailable"], 3);
}

}  // namespace
}  // namespace capstan::control_plane::controllers

// Preemption's dry run: which pods go, which node is chosen, and who may not preempt.
#include "control-plane/scheduler/preemption.h"

#include <gtest/gtest.h>

#include "api/k8s/codec.h"
#include "control-plane/scheduler/schedule_pod.h"

namespace capstan::control_plane::scheduler {
namespace {

Json Node(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"status", {{"allocatable", {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "110"}}}}}};
}

// A pod asking for `cpu`, of `priority`, labelled app=<name>.
api::k8s::Pod PodOf(const std::string& name, const std::string& cpu, int priority,
                    const std::string& extra = "") {
  auto pod = api::k8s::DecodePodYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: default, uid: uid-" +
      name + ", labels: {app: " + name + "}}\nspec:\n  priority: " + std::to_string(priority) +
      "\n  containers: [{name: c, image: i, resources: {requests: {cpu: '" + cpu + "'}}}]\n" +
      extra);
  EXPECT_TRUE(pod) << pod.error().message();
  return *pod;
}

class PreemptionTest : public ::testing::Test {
 protected:
  void Place(const std::string& name, const std::string& cpu, int priority,
             const std::string& node) {
    snapshot_.AddPod(PodOf(name, cpu, priority), node);
  }
  ScheduleResult Schedule(const api::k8s::Pod& pod, const NominatedPods& nominated = {}) {
    return SchedulePod(pod, snapshot_, plugins_, rng_, nominated, budgets_);
  }
  Snapshot snapshot_;
  std::vector<DisruptionBudget> budgets_;
  std::vector<std::unique_ptr<Plugin>> plugins_ = DefaultPlugins();
  std::mt19937 rng_{7};
};

TEST_F(PreemptionTest, OnlyTheLeastImportantPodsThatMustGoAreVictims) {
  snapshot_.AddNode(Node("n1"));  // 2 cpus
  Place("p1", "500m", 1, "n1");
  Place("p3", "500m", 3, "n1");
  Place("p2", "500m", 2, "n1");
  auto r = Schedule(PodOf("high", "1", 10));
  EXPECT_EQ(r.node, "");
  // A plan leaves the fit message alone, as upstream's does.
  EXPECT_EQ(r.message, "0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_EQ(r.preemption.node, "n1");
  EXPECT_EQ(r.preemption.victims, std::vector<std::string>{"default/p1"});
  EXPECT_EQ(r.preemption.victim_uids, std::vector<std::string>{"uid-p1"});
}

TEST_F(PreemptionTest, PodsOfEqualOrHigherPriorityAreNeverVictims) {
  snapshot_.AddNode(Node("n1"));
  Place("same", "1500m", 10, "n1");
  auto r = Schedule(PodOf("high", "1", 10));
  EXPECT_EQ(r.preemption.node, "");
  EXPECT_EQ(r.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod.");
}

TEST_F(PreemptionTest, TheNodeWithTheLeastImportantVictimsIsChosen) {
  snapshot_.AddNode(Node("a"));
  snapshot_.AddNode(Node("b"));
  snapshot_.AddNode(Node("c"));
  Place("a5", "1500m", 5, "a");
  Place("b1", "1500m", 1, "b");
  Place("c1", "1", 1, "c");  // two victims of priority 1 on c: more than b's one
  Place("c2", "1", 1, "c");
  auto r = Schedule(PodOf("high", "1500m", 10));
  EXPECT_EQ(r.preemption.node, "b");
  EXPECT_EQ(r.preemption.victims, std::vector<std::string>{"default/b1"});
}

TEST_F(PreemptionTest, ABudgetSteersPreemptionElsewhere) {
  snapshot_.AddNode(Node("a"));
  snapshot_.AddNode(Node("b"));
  Place("guarded", "1500m", 1, "a");
  Place("free", "1500m", 3, "b");
  auto selector = api::k8s::LabelSelector::Parse("app=guarded");
  ASSERT_TRUE(selector);
  budgets_.push_back({"default", *selector, 0, {}});
  auto r = Schedule(PodOf("high", "1500m", 10));
  // b's victim has the higher priority, but a's would break its budget.
  EXPECT_EQ(r.preemption.node, "b");
  EXPECT_EQ(r.preemption.victims, std::vector<std::string>{"default/free"});
  // With one disruption allowed, the lower-priority victim is taken again.
  budgets_[0].disruptions_allowed = 1;
  EXPECT_EQ(Schedule(PodOf("high", "1500m", 10)).preemption.node, "a");
}

TEST_F(PreemptionTest, EmptyBudgetSelectorsAndDisruptedPodsProtectNothing) {
  snapshot_.AddNode(Node("a"));
  snapshot_.AddNode(Node("b"));
  Place("guarded", "1500m", 1, "a");
  Place("free", "1500m", 3, "b");
  budgets_.push_back({"default", api::k8s::LabelSelector::Everything(), 0, {}});
  // An empty selector selects nothing (upstream): the lower-priority victim is taken.
  EXPECT_EQ(Schedule(PodOf("high", "1500m", 10)).preemption.node, "a");
  // A budget that already counts the pod as disrupted does not count it again.
  auto selector = api::k8s::LabelSelector::Parse("app=guarded");
  ASSERT_TRUE(selector);
  budgets_ = {{"default", *selector, 0, {"guarded"}}};
  EXPECT_EQ(Schedule(PodOf("high", "1500m", 10)).preemption.node, "a");
  budgets_[0].disrupted.clear();
  EXPECT_EQ(Schedule(PodOf("high", "1500m", 10)).preemption.node, "b");
}

TEST_F(PreemptionTest, PolicyNeverAndPodsStillGoingOnTheNominatedNodeStopIt) {
  snapshot_.AddNode(Node("n1"));
  Place("low", "1500m", 1, "n1");
  auto never = PodOf("never", "1", 10, "  preemptionPolicy: Never\n");
  auto r = Schedule(never);
  EXPECT_EQ(r.preemption.node, "");
  EXPECT_EQ(r.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
            "preemptionPolicy=Never.");

  auto going = PodOf("going", "1500m", 1);
  going.metadata.deletion_timestamp = WallTime{};
  snapshot_.AddPod(going, "n1");
  auto waiting = PodOf("high", "1", 10);
  waiting.status.nominated_node_name = "n1";
  r = Schedule(waiting);
  EXPECT_EQ(r.preemption.node, "");
  EXPECT_EQ(r.message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a "
            "terminating pod on the nominated node.");
}

TEST_F(PreemptionTest, RoomKeptForANominatedPodIsNotTakenByALesserOne) {
  snapshot_.AddNode(Node("a"));
  snapshot_.AddNode(Node("b"));
  Place("full", "2", 100, "b");
  NominatedPods nominated;
  nominated["a"].push_back(UsageOf(PodOf("waiting", "1500m", 10)));
  auto lesser = Schedule(PodOf("lesser", "1", 5), nominated);
  EXPECT_EQ(lesser.node, "");
  EXPECT_EQ(lesser.message.rfind("0/2 nodes are available: 2 Insufficient cpu.", 0), 0u)
      << lesser.message;
  // A pod of higher priority than the nominated one does not see it.
  EXPECT_EQ(Schedule(PodOf("greater", "1", 50), nominated).node, "a");
}

TEST_F(PreemptionTest, TheNominatedNodeIsTriedFirst) {
  for (const char* n : {"a", "b", "c"}) snapshot_.AddNode(Node(n));
  Place("busy-a", "1", 0, "a");
  Place("busy-c", "1", 0, "c");
  auto pod = PodOf("high", "500m", 10);
  pod.status.nominated_node_name = "c";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Schedule(pod).node, "c");  // b is emptier
}

}  // namespace
}  // namespace capstan::control_plane::scheduler

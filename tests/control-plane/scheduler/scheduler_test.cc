// The Scheduler over the fake API client: informers feed the queue, pods are bound through
// pods/binding with a Scheduled event, or get FailedScheduling and PodScheduled=False and
// wait until a node changes.
#include "control-plane/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "common/testing/fake_clock.h"

namespace capstan::control_plane::scheduler {
namespace {

namespace client = api::k8s::client;
using client::resources::kEvents;
using client::resources::kNodes;
using client::resources::kPods;

Json Node(const std::string& name, Json labels = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"status", {{"allocatable", {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "110"}}}}}};
}

Json Pod(const std::string& name, Json spec_extra = Json::object()) {
  Json spec = {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}};
  spec.update(spec_extra);
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", spec}};
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // pods/binding sets spec.nodeName, as capstan-server's binding does.
    api_.HandleSubresource(
        "pods/binding",
        [this](const std::string& ns, const std::string& name, const Json& body) -> Result<Json> {
          auto pod = api_.Get(kPods, ns, name);
          if (!pod) return std::unexpected(pod.error());
          if (!(*pod)["spec"].value("nodeName", "").empty()) {
            return Fail(Code::kFailedPrecondition, "pod {} is already assigned", name);
          }
          (*pod)["spec"]["nodeName"] = body["target"]["name"];
          return api_.Update(kPods, ns, name, *pod, "");
        });
    api_.StopWatches();  // informers are driven by hand: each round lists
  }
  // Brings an informer up to date (a list, as after an expired watch).
  void Sync(client::Reflector& r) {
    api_.FailNext("watch", Error(Code::kOutOfRange, "expired"));
    (void)r.ListAndWatch();
    ASSERT_TRUE(r.ListAndWatch());
  }
  void SyncAll() {
    Sync(scheduler_.node_informer());
    Sync(scheduler_.pod_informer());
  }
  std::string NodeOf(const std::string& pod) {
    auto p = api_.Get(kPods, "default", pod);
    return p ? (*p)["spec"].value("nodeName", "") : "?";
  }
  std::vector<std::string> Events(const std::string& reason) {
    std::vector<std::string> out;
    auto list = api_.List(kEvents, "default", {});
    for (const auto& e : (*list)["items"]) {
      if (e.value("reason", "") == reason) {
        out.push_back(e.value("message", "") + " x" + std::to_string(e.value("count", 0)));
      }
    }
    return out;
  }

  client::FakeApiClient api_;
  testing::FakeClock clock_;
  Scheduler scheduler_{&api_, &clock_};
};

TEST_F(SchedulerTest, BindsAPendingPodAndRecordsScheduled) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("web")));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("other", {{"schedulerName", "someone-else"}})));
  SyncAll();
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_FALSE(scheduler_.ScheduleNext());  // "other" is not ours
  EXPECT_EQ(NodeOf("web"), "n1");
  EXPECT_EQ(NodeOf("other"), "");
  EXPECT_EQ(Events("Scheduled"),
            std::vector<std::string>{"Successfully assigned default/web to n1 x1"});
  auto events = api_.List(kEvents, "default", {});
  const Json& e = (*events)["items"][0];
  EXPECT_EQ(e["involvedObject"].value("name", ""), "web");
  EXPECT_EQ(e["source"].value("component", ""), "default-scheduler");
  EXPECT_EQ(e.value("type", ""), "Normal");
}

TEST_F(SchedulerTest, UnschedulablePodWaitsUntilANodeIsLabelled) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));
  ASSERT_TRUE(
      api_.Create(kPods, "default", Pod("ssd-only", {{"nodeSelector", {{"disk", "ssd"}}}})));
  SyncAll();
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("ssd-only"), "");
  std::string why =
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
      "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  EXPECT_EQ(Events("FailedScheduling"), std::vector<std::string>{why + " x1"});
  auto pod = api_.Get(kPods, "default", "ssd-only");
  const Json& cond = (*pod)["status"]["conditions"][0];
  EXPECT_EQ(cond.value("type", ""), "PodScheduled");
  EXPECT_EQ(cond.value("status", ""), "False");
  EXPECT_EQ(cond.value("reason", ""), "Unschedulable");
  EXPECT_EQ(cond.value("message", ""), why);
  EXPECT_EQ(scheduler_.queue().UnschedulableCount(), 1u);

  // Nothing changed: the pod is not retried.
  clock_.Advance(std::chrono::seconds(30));
  Sync(scheduler_.pod_informer());  // (its own status update comes back)
  EXPECT_FALSE(scheduler_.ScheduleNext());

  // Labelling the node moves it back; after its back-off, it is bound.
  ASSERT_TRUE(api_.Patch(kNodes, "", "n1", client::PatchType::kMerge,
                         {{"metadata", {{"labels", {{"disk", "ssd"}}}}}}, ""));
  Sync(scheduler_.node_informer());
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("ssd-only"), "n1");
}

TEST_F(SchedulerTest, BoundPodsCountBeforeTheInformerSeesThem) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));  // 2 cpus
  Json big = {
      {"containers",
       {{{"name", "c"}, {"image", "i"}, {"resources", {{"requests", {{"cpu", "1500m"}}}}}}}}};
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("a", big)));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("b", big)));
  SyncAll();
  // Both pods are tried before the informer hears of the first binding: the second must
  // not land on the node the first filled.
  ASSERT_TRUE(scheduler_.ScheduleNext());
  ASSERT_TRUE(scheduler_.ScheduleNext());
  int bound = (NodeOf("a") == "n1") + (NodeOf("b") == "n1");
  EXPECT_EQ(bound, 1);
  auto failed = Events("FailedScheduling");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].rfind("0/1 nodes are available: 1 Insufficient cpu.", 0), 0u) << failed[0];

  // Deleting the running pod frees the node: the other one gets it.
  std::string first = NodeOf("a") == "n1" ? "a" : "b";
  std::string second = first == "a" ? "b" : "a";
  ASSERT_TRUE(api_.Delete(kPods, "default", first, 0));
  Sync(scheduler_.pod_informer());
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf(second), "n1");
}

// The scheduler's cache follows the informers in whatever order they report: a pod seen
// bound before its node still counts on it, a finished pod frees what it held, a node that
// leaves and comes back keeps counting its pods.
TEST_F(SchedulerTest, TheCacheFollowsPodsAndNodesInAnyOrder) {
  Json big = {
      {"containers",
       {{{"name", "c"}, {"image", "i"}, {"resources", {{"requests", {{"cpu", "1500m"}}}}}}}}};
  Json running = Pod("running", big);
  running["spec"]["nodeName"] = "n1";
  ASSERT_TRUE(api_.Create(kPods, "default", running));
  Sync(scheduler_.pod_informer());  // the pod before its node
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));
  Sync(scheduler_.node_informer());
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("waiting", big)));
  Sync(scheduler_.pod_informer());
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("waiting"), "");

  // The node leaves and returns: its pod still counts.
  ASSERT_TRUE(api_.Delete(kNodes, "", "n1"));
  Sync(scheduler_.node_informer());
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));
  Sync(scheduler_.node_informer());
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("waiting"), "");

  // The running pod ends: its cpu is free again.
  ASSERT_TRUE(api_.Patch(kPods, "default", "running", client::PatchType::kMerge,
                         {{"status", {{"phase", "Succeeded"}}}}, "status"));
  Sync(scheduler_.pod_informer());
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("waiting"), "n1");
}

// Preemption through the API: the victim is marked DisruptionTarget, told why and deleted;
// the preemptor is nominated to the node and bound there once the room is free.
TEST_F(SchedulerTest, AHigherPriorityPodPreemptsALowerOne) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));  // 2 cpus
  Json big = {
      {"containers",
       {{{"name", "c"}, {"image", "i"}, {"resources", {{"requests", {{"cpu", "1500m"}}}}}}}},
      {"priority", 1}};
  Json low = Pod("low", big);
  low["spec"]["nodeName"] = "n1";
  low["metadata"]["finalizers"] = {"test/hold"};  // kept while terminating, as on a kubelet
  ASSERT_TRUE(api_.Create(kPods, "default", low));
  big["priority"] = 1000;
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("high", big)));
  SyncAll();
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("high"), "");

  auto victim = api_.Get(kPods, "default", "low");
  ASSERT_TRUE(victim);
  EXPECT_TRUE((*victim)["metadata"].contains("deletionTimestamp"));
  bool marked = false;
  for (const auto& c : (*victim)["status"]["conditions"]) {
    marked |= c.value("type", "") == "DisruptionTarget" &&
              c.value("reason", "") == "PreemptionByScheduler" &&
              c.value("message", "") ==
                  "default-scheduler: preempting to accommodate a higher priority pod";
  }
  EXPECT_TRUE(marked) << victim->dump();
  auto high = api_.Get(kPods, "default", "high");
  std::string uid = (*high)["metadata"].value("uid", "");
  EXPECT_EQ((*high)["status"].value("nominatedNodeName", ""), "n1");
  EXPECT_EQ(Events("Preempted"),
            std::vector<std::string>{"Preempted by pod " + uid + " on node n1 x1"});
  EXPECT_EQ(Events("FailedScheduling"),
            std::vector<std::string>{"0/1 nodes are available: 1 Insufficient cpu. x1"});

  // While the victim is still going, the pod waits and preempts nothing more.
  Sync(scheduler_.pod_informer());
  clock_.Advance(std::chrono::seconds(10));
  scheduler_.queue().MoveAllToActiveOrBackoff();
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("high"), "");

  // The victim is gone: the pod is bound to its nominated node.
  ASSERT_TRUE(api_.Patch(kPods, "default", "low", client::PatchType::kMerge,
                         {{"metadata", {{"finalizers", nullptr}}}}, ""));
  Sync(scheduler_.pod_informer());
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("high"), "n1");
}

// VolumeBinding: a pod whose claim is missing or unbound waits, with upstream's words, and
// is scheduled once the claim binds.
TEST_F(SchedulerTest, APodWaitsForItsClaimToBind) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node("n1")));
  ASSERT_TRUE(api_.Create(
      kPods, "default",
      Pod("db",
          {{"volumes", {{{"name", "d"}, {"persistentVolumeClaim", {{"claimName", "data"}}}}}}})));
  SyncAll();
  Sync(scheduler_.claim_informer());
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(Events("FailedScheduling"),
            std::vector<std::string>{
                "0/1 nodes are available: persistentvolumeclaim \"data\" not found. preemption: "
                "0/1 nodes are available: 1 Preemption is not helpful for scheduling. x1"});

  Json claim = {{"apiVersion", "v1"},
                {"kind", "PersistentVolumeClaim"},
                {"metadata", {{"name", "data"}, {"namespace", "default"}}},
                {"spec", {{"accessModes", {"ReadWriteOnce"}}}}};
  ASSERT_TRUE(api_.Create(client::resources::kPersistentVolumeClaims, "default", claim));
  Sync(scheduler_.claim_informer());
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("db"), "");
  auto failed = Events("FailedScheduling");
  EXPECT_NE(std::find(failed.begin(), failed.end(),
                      "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                      "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                      "scheduling. x1"),
            failed.end());

  ASSERT_TRUE(api_.Patch(client::resources::kPersistentVolumeClaims, "default", "data",
                         client::PatchType::kMerge, {{"spec", {{"volumeName", "pv-1"}}}}, ""));
  Sync(scheduler_.pod_informer());
  Sync(scheduler_.claim_informer());
  clock_.Advance(std::chrono::seconds(20));
  ASSERT_TRUE(scheduler_.ScheduleNext());
  EXPECT_EQ(NodeOf("db"), "n1");
}

}  // namespace
}  // namespace capstan::control_plane::scheduler

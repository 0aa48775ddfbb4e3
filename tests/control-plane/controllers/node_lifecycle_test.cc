// The node lifecycle: a node whose kubelet stops renewing its lease goes Unknown and its pods
// not Ready; pods leave a NoExecute node unless they tolerate it, after their
// tolerationSeconds; pod GC removes orphans, never-scheduled terminating pods and the oldest
// terminated pods over the threshold.
#include "control-plane/controllers/node_lifecycle_controller.h"
#include "control-plane/controllers/pod_gc_controller.h"
#include "control-plane/controllers/taint_eviction_controller.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kLeases;
using client::resources::kNodes;
using client::resources::kPods;
using namespace std::chrono_literals;

Json ReadyNode(const std::string& name, Json taints = Json::array()) {
  Json n = {{"apiVersion", "v1"},
            {"kind", "Node"},
            {"metadata", {{"name", name}}},
            {"spec", Json::object()},
            {"status",
             {{"conditions",
               {{{"type", "Ready"},
                 {"status", "True"},
                 {"reason", "KubeletReady"},
                 {"lastHeartbeatTime", "2026-01-01T00:00:00Z"}},
                {{"type", "MemoryPressure"}, {"status", "False"}}}}}}};
  if (!taints.empty()) n["spec"]["taints"] = std::move(taints);
  return n;
}

Json PodOn(const std::string& name, const std::string& node, Json tolerations = Json::array()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"nodeName", node},
            {"tolerations", std::move(tolerations)},
            {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}},
          {"status", {{"phase", "Running"}}}};
}

bool PodExists(client::FakeApiClient& api, const std::string& name) {
  return api.Get(kPods, "default", name).has_value();
}

class NodeLifecycleTest : public ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
    ASSERT_TRUE(api_.Create(kPods, "default", PodOn("web", "n1")));
    MakeReady("web");
    RenewLease();
  }
  void RenewLease() {
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", "n1"}, {"namespace", "kube-node-lease"}}},
                  {"spec", {{"renewTime", FormatMicroTime(clock_.Now())}}}};
    if (api_.Get(kLeases, "kube-node-lease", "n1")) {
      ASSERT_TRUE(api_.Update(kLeases, "kube-node-lease", "n1", lease, ""));
    } else {
      ASSERT_TRUE(api_.Create(kLeases, "kube-node-lease", lease));
    }
  }
  Status Step() {
    Sync(nodes_);
    Sync(leases_);
    Sync(pods_);
    return controller_.Sync("/n1");
  }
  Json ConditionOf(const std::string& type) {
    Json node = *api_.Get(kNodes, "", "n1");
    for (const auto& c : node["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }
  client::Reflector nodes_{&api_, kNodes, "", {}};
  client::Reflector leases_{&api_, kLeases, "kube-node-lease", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  NodeLifecycleController controller_{&api_, &clock_, &nodes_, &leases_, &pods_, {40s, 5s}};
};

TEST_F(NodeLifecycleTest, ARenewedLeaseKeepsTheNodeReady) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Step());
    clock_.Advance(30s);
    RenewLease();
  }
  ASSERT_TRUE(Step());
  EXPECT_EQ(ConditionOf("Ready")["status"], "True");
}

TEST_F(NodeLifecycleTest, ASilentNodeGoesUnknownAfterTheGracePeriodAndItsPodsNotReady) {
  ASSERT_TRUE(Step());
  clock_.Advance(39s);
  ASSERT_TRUE(Step());
  EXPECT_EQ(ConditionOf("Ready")["status"], "True");

  clock_.Advance(2s);
  ASSERT_TRUE(Step());
  Json ready = ConditionOf("Ready");
  EXPECT_EQ(ready["status"], "Unknown");
  EXPECT_EQ(ready["reason"], "NodeStatusUnknown");
  EXPECT_EQ(ready["message"], "Kubelet stopped posting node status.");
  EXPECT_EQ(ready["lastTransitionTime"], "2026-01-01T00:00:41Z");
  EXPECT_EQ(ConditionOf("MemoryPressure")["status"], "Unknown");
  // Conditions the kubelet never posted are added, as upstream.
  EXPECT_EQ(ConditionOf("DiskPressure")["reason"], "NodeStatusNeverUpdated");
  EXPECT_EQ(EventMessages("NodeNotReady"),
            std::vector<std::string>{"Node n1 status is now: NodeNotReady"});
  auto pod = api_.Get(kPods, "default", "web");
  EXPECT_EQ((*pod)["status"]["conditions"][0]["status"], "False");

  // Already Unknown: nothing more is written.
  api_.ClearCalls();
  ASSERT_TRUE(Step());
  for (const auto& c : api_.Calls()) EXPECT_NE(c.rfind("update", 0), 0u) << c;
}

TEST_F(NodeLifecycleTest, EachSyncComesBackAfterTheMonitorPeriod) {
  ASSERT_TRUE(Step());
  while (auto key = controller_.queue().TryGet()) controller_.queue().Done(*key);
  clock_.Advance(5s);
  auto key = controller_.queue().TryGet();
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "/n1");
}

Json NoExecute(const std::string& key) { return {{"key", key}, {"effect", "NoExecute"}}; }

class TaintEvictionTest : public ControllerFixture {
 protected:
  void Drain() {
    Sync(nodes_);
    Sync(pods_);
    for (int i = 0; i < 100 && controller_.ProcessNext(); ++i) {
    }
  }
  void SetTaints(Json taints) {
    Json node = *api_.Get(kNodes, "", "n1");
    node["spec"]["taints"] = std::move(taints);
    ASSERT_TRUE(api_.Update(kNodes, "", "n1", node, ""));
    Drain();
  }
  // The pod stays through 29 s and is gone after 31.
  void ExpectEvictedAfter30s(const std::string& pod) {
    clock_.Advance(29s);
    Drain();
    EXPECT_TRUE(PodExists(api_, pod));
    clock_.Advance(2s);
    Drain();
    EXPECT_FALSE(PodExists(api_, pod));
  }
  client::Reflector pods_{&api_, kPods, "", {}};
  client::Reflector nodes_{&api_, kNodes, "", {}};
  TaintEvictionController controller_{&api_, &clock_, &pods_, &nodes_};
};

TEST_F(TaintEvictionTest, EvictsWhatDoesNotTolerateAndWaitsForTolerationSeconds) {
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("plain", "n1")));
  ASSERT_TRUE(api_.Create(
      kPods, "default",
      PodOn("patient", "n1",
            {{{"key", "node.kubernetes.io/unreachable"},
              {"operator", "Exists"},
              {"effect", "NoExecute"},
              {"tolerationSeconds", 300}},
             {{"key", "maintenance"}, {"operator", "Exists"}, {"tolerationSeconds", 30}}})));
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("forever", "n1", {{{"operator", "Exists"}}})));
  Drain();
  EXPECT_TRUE(PodExists(api_, "plain"));

  SetTaints({NoExecute("maintenance")});
  EXPECT_FALSE(PodExists(api_, "plain"));
  EXPECT_TRUE(PodExists(api_, "patient"));
  EXPECT_EQ(EventMessages("TaintManagerEviction"),
            std::vector<std::string>{"Marking for deletion Pod default/plain"});
  ExpectEvictedAfter30s("patient");
  EXPECT_TRUE(PodExists(api_, "forever"));
}

TEST_F(TaintEvictionTest, RemovingTheTaintInTimeCancelsTheEviction) {
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1", {NoExecute("maintenance")})));
  ASSERT_TRUE(api_.Create(
      kPods, "default",
      PodOn("patient", "n1",
            {{{"key", "maintenance"}, {"operator", "Exists"}, {"tolerationSeconds", 30}}})));
  Drain();
  clock_.Advance(20s);
  SetTaints(Json::array());
  EXPECT_EQ(EventMessages("TaintManagerEviction"),
            std::vector<std::string>{"Cancelling deletion of Pod default/patient"});
  clock_.Advance(60s);
  Drain();
  EXPECT_TRUE(PodExists(api_, "patient"));

  // Tainted again: the count starts afresh.
  SetTaints({NoExecute("maintenance")});
  ExpectEvictedAfter30s("patient");
}

class PodGcTest : public ControllerFixture {
 protected:
  Status Pass() {
    Sync(nodes_);
    Sync(pods_);
    return controller_.Sync(PodGcController::kPassKey);
  }
  client::Reflector pods_{&api_, kPods, "", {}};
  client::Reflector nodes_{&api_, kNodes, "", {}};
  PodGcController controller_{&api_, &clock_, &pods_, &nodes_, {2, 20s, 40s}};
};

TEST_F(PodGcTest, OrphansGoAfterTheQuarantine) {
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("kept", "n1")));
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("orphan", "gone")));
  ASSERT_TRUE(Pass());
  clock_.Advance(39s);
  ASSERT_TRUE(Pass());
  EXPECT_TRUE(PodExists(api_, "orphan"));
  clock_.Advance(2s);
  ASSERT_TRUE(Pass());
  EXPECT_FALSE(PodExists(api_, "orphan"));
  EXPECT_TRUE(PodExists(api_, "kept"));
}

TEST_F(PodGcTest, ANodeThatComesBackKeepsItsPods) {
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("web", "n1")));
  ASSERT_TRUE(Pass());
  clock_.Advance(30s);
  // The node registers again before the quarantine ends.
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
  ASSERT_TRUE(Pass());
  clock_.Advance(60s);
  ASSERT_TRUE(Pass());
  EXPECT_TRUE(PodExists(api_, "web"));
}

TEST_F(PodGcTest, TerminatedPodsOverTheThresholdGoOldestFirst) {
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
  // Names and ages sort differently: age decides.
  const std::map<std::string, std::string> created = {{"done-a", "2026-01-01T00:00:03Z"},
                                                      {"done-b", "2026-01-01T00:00:01Z"},
                                                      {"done-c", "2026-01-01T00:00:02Z"},
                                                      {"done-d", "2026-01-01T00:00:04Z"}};
  for (const auto& [name, time] : created) {
    Json pod = PodOn(name, "n1");
    pod["status"]["phase"] = name == "done-d" ? "Failed" : "Succeeded";
    pod["metadata"]["creationTimestamp"] = time;
    ASSERT_TRUE(api_.Create(kPods, "default", pod));
  }
  ASSERT_TRUE(api_.Create(kPods, "default", PodOn("running", "n1")));
  ASSERT_TRUE(Pass());
  EXPECT_FALSE(PodExists(api_, "done-b"));
  EXPECT_FALSE(PodExists(api_, "done-c"));
  EXPECT_TRUE(PodExists(api_, "done-a"));
  EXPECT_TRUE(PodExists(api_, "done-d"));
  EXPECT_TRUE(PodExists(api_, "running"));
}

TEST_F(PodGcTest, TerminatingPodsNoKubeletWillConfirmGo) {
  ASSERT_TRUE(api_.Create(kNodes, "", ReadyNode("n1")));
  ASSERT_TRUE(api_.Create(kNodes, "",
                          ReadyNode("broken", {NoExecute("node.kubernetes.io/out-of-service")})));
  auto terminating = [](Json pod) {
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    return pod;
  };
  ASSERT_TRUE(api_.Create(kPods, "default", terminating(PodOn("unscheduled", ""))));
  ASSERT_TRUE(api_.Create(kPods, "default", terminating(PodOn("stuck", "broken"))));
  ASSERT_TRUE(api_.Create(kPods, "default", terminating(PodOn("stopping", "n1"))));
  ASSERT_TRUE(Pass());
  EXPECT_FALSE(PodExists(api_, "unscheduled"));
  EXPECT_FALSE(PodExists(api_, "stuck"));
  EXPECT_TRUE(PodExists(api_, "stopping"));
}

}  // namespace
}  // namespace capstan::control_plane::controllers

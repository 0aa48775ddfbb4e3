// SchedulePod and the plugins: filters with upstream's words, scores that pick as upstream.
#include <gtest/gtest.h>

#include "api/k8s/codec.h"
#include "control-plane/scheduler/schedule_pod.h"

namespace capstan::control_plane::scheduler {
namespace {

Json Node(const std::string& name, Json labels = Json::object(), Json taints = Json::array(),
          const std::string& cpu = "2", const std::string& memory = "4Gi") {
  return {{"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"taints", taints}}},
          {"status", {{"allocatable", {{"cpu", cpu}, {"memory", memory}, {"pods", "110"}}}}}};
}

api::k8s::Pod PodYaml(const std::string& spec) {
  auto pod = api::k8s::DecodePodYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default, uid: u}\nspec:\n" + spec);
  EXPECT_TRUE(pod) << pod.error().message();
  return *pod;
}

const char* kSimple = "  containers: [{name: c, image: i}]\n";

class ScheduleTest : public ::testing::Test {
 protected:
  ScheduleResult Schedule(const api::k8s::Pod& pod) {
    return SchedulePod(pod, snapshot_, plugins_, rng_);
  }
  Snapshot snapshot_;
  std::vector<std::unique_ptr<Plugin>> plugins_ = DefaultPlugins();
  std::mt19937 rng_{42};
};

TEST_F(ScheduleTest, NoNodeFitsGivesUpstreamsMessage) {
  snapshot_.AddNode(Node("a", {{"disk", "hdd"}}));
  snapshot_.AddNode(Node("b", Json::object()));
  snapshot_.AddNode(Node("c", {{"disk", "ssd"}},
                         {{{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}}}));
  auto r = Schedule(PodYaml("  nodeSelector: {disk: ssd}\n" + std::string(kSimple)));
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.message,
            "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) "
            "didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 "
            "Preemption is not helpful for scheduling.");
  // Tolerating the taint makes c fit.
  r =
      Schedule(PodYaml("  nodeSelector: {disk: ssd}\n  tolerations: [{key: dedicated, operator: "
                       "Equal, value: gpu, effect: NoSchedule}]\n" +
                       std::string(kSimple)));
  EXPECT_EQ(r.node, "c");
  EXPECT_EQ(Snapshot().nodes().size(), 0u);
  EXPECT_EQ(SchedulePod(PodYaml(kSimple), Snapshot(), plugins_, rng_).message,
            "no nodes available to schedule pods");
}

TEST_F(ScheduleTest, ResourcesFilterAndTheEmptierNodeWins) {
  snapshot_.AddNode(Node("small", {}, Json::array(), "1", "1Gi"));
  snapshot_.AddNode(Node("busy"));
  snapshot_.AddNode(Node("idle"));
  auto used = PodYaml(
      "  containers: [{name: c, image: i, resources: {requests: {cpu: 1500m, "
      "memory: 1Gi}}}]\n");
  snapshot_.AddPod(used, "busy");
  auto pod = PodYaml(
      "  containers: [{name: c, image: i, resources: {requests: {cpu: '1', memory: 1Gi}}}]\n");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Schedule(pod).node, "idle");

  auto huge = PodYaml(
      "  containers: [{name: c, image: i, resources: {requests: {cpu: '3', memory: 8Gi}}}]\n");
  EXPECT_EQ(Schedule(huge).message,
            "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 "
            "nodes are available: 3 No preemption victims found for incoming pod.");
  // Init containers count at their largest.
  auto init =
      PodYaml("  initContainers: [{name: i, image: i, resources: {requests: {cpu: '3'}}}]\n" +
              std::string(kSimple));
  EXPECT_NE(Schedule(init).message.find("3 Insufficient cpu"), std::string::npos);
}

TEST_F(ScheduleTest, PreferencesDecideAmongFeasibleNodes) {
  snapshot_.AddNode(Node("plain"));
  snapshot_.AddNode(Node("fast", {{"disk", "ssd"}}));
  snapshot_.AddNode(Node("tainted", {{"disk", "ssd"}},
                         {{{"key", "spot"}, {"value", "yes"}, {"effect", "PreferNoSchedule"}}}));
  auto pod = PodYaml(
      "  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n"
      "      - weight: 50\n        preference: {matchExpressions: [{key: disk, operator: In, "
      "values: [ssd]}]}\n" +
      std::string(kSimple));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Schedule(pod).node, "fast");
}

TEST_F(ScheduleTest, CordonedNodesHostPortsAndNodeAffinityOperators) {
  Json cordoned = Node("cordoned", {{"zone", "3"}});
  cordoned["spec"]["unschedulable"] = true;
  snapshot_.AddNode(cordoned);
  snapshot_.AddNode(Node("ported", {{"zone", "5"}}));
  snapshot_.AddNode(Node("low", {{"zone", "1"}}));
  snapshot_.AddPod(PodYaml("  containers: [{name: c, image: i, ports: [{containerPort: 80, "
                           "hostPort: 8080}]}]\n"),
                   "ported");
  auto pod = PodYaml(
      "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
      "        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Gt, values: "
      "['2']}]}]\n"
      "  containers: [{name: c, image: i, ports: [{containerPort: 80, hostPort: 8080}]}]\n");
  EXPECT_EQ(Schedule(pod).message,
            "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod "
            "ports, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were "
            "unschedulable. preemption: 0/3 nodes are available: 1 No preemption victims found "
            "for incoming pod, 2 Preemption is not helpful for scheduling.");
  auto tolerant = pod;
  tolerant.spec.tolerations.push_back(
      {"node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule", std::nullopt});
  EXPECT_EQ(Schedule(tolerant).node, "cordoned");
  auto never = pod;
  never.spec.preemption_policy = "Never";
  EXPECT_NE(Schedule(never).message.find("preemption: not eligible due to preemptionPolicy=Never."),
            std::string::npos);
}

// A pod named `name` labelled app=`app`, with more spec before its container.
api::k8s::Pod AppPod(const std::string& name, const std::string& app,
                     const std::string& spec = "") {
  auto pod = api::k8s::DecodePodYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
                                     ", namespace: default, labels: {app: " + app + "}}\nspec:\n" +
                                     spec + kSimple);
  EXPECT_TRUE(pod) << pod.error().message();
  return *pod;
}

const char* kAntiWebByHost =
    "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
    "      - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}\n";

TEST_F(ScheduleTest, PodAntiAffinityKeepsReplicasApartBothWays) {
  for (const char* n : {"a", "b", "c"}) snapshot_.AddNode(Node(n, {{"kubernetes.io/hostname", n}}));
  snapshot_.AddPod(AppPod("web-1", "web"), "a");
  EXPECT_NE(Schedule(AppPod("web-2", "web", kAntiWebByHost)).node, "a");
  // Replicas that carry the same terms: the pod's own rule is the one reported, as upstream
  // checks it before the placed pods' rules.
  snapshot_.AddPod(AppPod("web-2", "web", kAntiWebByHost), "b");
  snapshot_.AddPod(AppPod("web-3", "web", kAntiWebByHost), "c");
  EXPECT_EQ(Schedule(AppPod("web-4", "web", kAntiWebByHost)).message,
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: "
            "0/3 nodes are available: 3 No preemption victims found for incoming pod.");
  // A pod already placed with anti-affinity keeps matching newcomers off its node.
  Snapshot fresh;
  for (const char* n : {"a", "b"}) fresh.AddNode(Node(n, {{"kubernetes.io/hostname", n}}));
  fresh.AddPod(AppPod("loner", "db", kAntiWebByHost), "a");
  EXPECT_EQ(SchedulePod(AppPod("web-1", "web"), fresh, plugins_, rng_).node, "b");
  fresh.AddPod(AppPod("loner-2", "db", kAntiWebByHost), "b");
  EXPECT_EQ(SchedulePod(AppPod("web-1", "web"), fresh, plugins_, rng_).message,
            "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules. "
            "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
  EXPECT_EQ(SchedulePod(AppPod("db-1", "db"), fresh, plugins_, rng_).message, "");
}

TEST_F(ScheduleTest, PodAffinityFollowsItsPeersZone) {
  snapshot_.AddNode(Node("a", {{"zone", "1"}}));
  snapshot_.AddNode(Node("b", {{"zone", "2"}}));
  snapshot_.AddNode(Node("c", {{"zone", "2"}}));
  snapshot_.AddNode(Node("nozone"));
  const char* with_cache =
      "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
      "      - {labelSelector: {matchLabels: {app: cache}}, topologyKey: zone}\n";
  // No cache pod anywhere, and the pod is not one: nowhere.
  EXPECT_EQ(Schedule(AppPod("web", "web", with_cache)).message,
            "0/4 nodes are available: 4 node(s) didn't match pod affinity rules. preemption: 0/4 "
            "nodes are available: 4 Preemption is not helpful for scheduling.");
  // The first cache pod selects itself: any node with a zone.
  EXPECT_NE(Schedule(AppPod("cache-1", "cache", with_cache)).node, "nozone");
  snapshot_.AddPod(AppPod("cache-1", "cache"), "b");
  for (int i = 0; i < 10; ++i) {
    std::string node = Schedule(AppPod("web", "web", with_cache)).node;
    EXPECT_TRUE(node == "b" || node == "c") << node;
  }
  // Preferred: the zone with the most weight wins over the emptier node.
  const char* near_cache =
      "  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n"
      "      - weight: 100\n        podAffinityTerm: {labelSelector: {matchLabels: {app: cache}}, "
      "topologyKey: zone}\n";
  snapshot_.AddPod(AppPod("other", "other"), "b");
  EXPECT_EQ(Schedule(AppPod("web", "web", near_cache)).node, "c");
}

TEST_F(ScheduleTest, TopologySpreadKeepsZonesWithinMaxSkew) {
  snapshot_.AddNode(Node("a", {{"zone", "1"}}));
  snapshot_.AddNode(Node("b", {{"zone", "1"}}));
  snapshot_.AddNode(Node("c", {{"zone", "2"}}));
  snapshot_.AddNode(Node("nozone"));
  snapshot_.AddPod(AppPod("x-1", "x"), "a");
  snapshot_.AddPod(AppPod("x-2", "x"), "b");
  snapshot_.AddPod(AppPod("y-1", "y"), "c");  // another app does not count
  const char* spread =
      "  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: "
      "DoNotSchedule, labelSelector: {matchLabels: {app: x}}}\n";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Schedule(AppPod("x-3", "x", spread)).node, "c");
  snapshot_.AddPod(AppPod("x-3", "x"), "c");
  auto r = Schedule(AppPod("x-4", "x", spread));  // 2 and 1: either zone is fine
  EXPECT_NE(r.node, "nozone");
  EXPECT_NE(r.node, "");
  // Zone 1 (2 pods) stays a domain while its nodes are tainted (taints are not the
  // constraint's business): once zone 2 is one ahead, another pod there would make it two.
  Snapshot tainted;
  Json taint = {{{"key", "dedicated"}, {"value", "x"}, {"effect", "NoSchedule"}}};
  tainted.AddNode(Node("a", {{"zone", "1"}}, taint));
  tainted.AddNode(Node("b", {{"zone", "1"}}, taint));
  tainted.AddNode(Node("c", {{"zone", "2"}}));
  tainted.AddNode(Node("nozone"));
  tainted.AddPod(AppPod("x-1", "x"), "a");
  tainted.AddPod(AppPod("x-2", "x"), "b");
  tainted.AddPod(AppPod("x-3", "x"), "c");
  EXPECT_EQ(SchedulePod(AppPod("x-4", "x", spread), tainted, plugins_, rng_).node, "c");
  tainted.AddPod(AppPod("x-4", "x"), "c");
  EXPECT_EQ(SchedulePod(AppPod("x-5", "x", spread), tainted, plugins_, rng_).node, "c");
  tainted.AddPod(AppPod("x-5", "x"), "c");  // 3 against 2
  EXPECT_EQ(SchedulePod(AppPod("x-6", "x", spread), tainted, plugins_, rng_).message,
            "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 "
            "node(s) didn't match pod topology spread constraints (missing required label), 2 "
            "node(s) had untolerated taint {dedicated: x}. preemption: 0/4 nodes are available: "
            "1 No preemption victims found for incoming pod, 3 Preemption is not helpful for "
            "scheduling.");
  // ScheduleAnyway: never refuses, prefers the emptier zone.
  const char* soft =
      "  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: "
      "ScheduleAnyway, labelSelector: {matchLabels: {app: x}}}\n";
  for (int i = 0; i < 5; ++i) {
    std::string node = Schedule(AppPod("x-7", "x", soft)).node;
    EXPECT_TRUE(node == "a" || node == "b" || node == "nozone") << node;
  }
}

}  // namespace
}  // namespace capstan::control_plane::scheduler

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

}  // namespace
}  // namespace capstan::control_plane::scheduler

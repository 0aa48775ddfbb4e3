// Node-side admission: upstream's reasons and messages for each predicate, in its order.
#include "kubelet/lifecycle/admission.h"

#include <gtest/gtest.h>

#include "tests/kubelet/test_pods.h"

namespace capstan::kubelet::lifecycle {
namespace {

using api::k8s::Quantity;

NodeInfo Node() {
  NodeInfo n;
  n.name = "node-1";
  n.labels = {{"kubernetes.io/hostname", "node-1"},
              {"kubernetes.io/os", "linux"},
              {"disk", "ssd"},
              {"cores", "8"}};
  n.allocatable = {{"cpu", Quantity::FromMilli(2000)},
                   {"memory", Quantity::FromUnits(4LL << 30)},
                   {"pods", Quantity::FromUnits(3)}};
  return n;
}

api::k8s::Pod Pod(const std::string& name, const std::string& spec_extra,
                  const std::string& container_extra = "") {
  return testing::PodFromYaml("apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
                              ", namespace: default, uid: " + name + "}\nspec:\n" + spec_extra +
                              "  containers:\n  - name: c\n    image: b\n" + container_extra);
}

TEST(AdmissionTest, AdmitsWhatFits) {
  auto r = CanAdmitPod(Pod("a", "", "    resources: {requests: {cpu: 500m, memory: 1Gi}}\n"),
                       Node(), {});
  EXPECT_TRUE(r.admit) << r.reason << ": " << r.message;
}

TEST(AdmissionTest, ResourcesCountWhatTheActivePodsRequest) {
  auto big = Pod("big", "", "    resources: {requests: {cpu: 1500m}}\n");
  auto r = CanAdmitPod(Pod("a", "", "    resources: {requests: {cpu: 1000m}}\n"), Node(), {big});
  EXPECT_FALSE(r.admit);
  EXPECT_EQ(r.reason, "OutOfcpu");
  EXPECT_EQ(r.message,
            "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000");
  auto mem = CanAdmitPod(Pod("m", "", "    resources: {requests: {memory: 5Gi}}\n"), Node(), {});
  EXPECT_EQ(mem.reason, "OutOfmemory");
  EXPECT_EQ(mem.message,
            "Node didn't have enough resource: memory, requested: 5368709120, used: "
            "0, capacity: 4294967296");
}

TEST(AdmissionTest, InitContainersCountAtTheirLargest) {
  auto pod =
      Pod("a", "  initContainers:\n  - {name: i, image: b, resources: {requests: {cpu: 2500m}}}\n",
          "    resources: {requests: {cpu: 100m}}\n");
  EXPECT_EQ(api::k8s::scheduling::PodRequests(pod).at("cpu").MilliValue(), 2500);
  EXPECT_EQ(CanAdmitPod(pod, Node(), {}).reason, "OutOfcpu");
}

TEST(AdmissionTest, PodCountAndUnknownResources) {
  std::vector<api::k8s::Pod> three = {Pod("x", ""), Pod("y", ""), Pod("z", "")};
  auto r = CanAdmitPod(Pod("a", ""), Node(), three);
  EXPECT_EQ(r.reason, "OutOfpods");
  EXPECT_EQ(r.message,
            "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3");
  // Hugepages the node lacks do not fit; an extended resource it does not know is left to
  // the cluster (as upstream).
  EXPECT_EQ(CanAdmitPod(Pod("h", "",
                            "    resources: {requests: {hugepages-2Mi: 2Mi}, limits: "
                            "{hugepages-2Mi: 2Mi}}\n"),
                        Node(), {})
                .reason,
            "OutOfhugepages-2Mi");
  EXPECT_TRUE(CanAdmitPod(Pod("g", "",
                              "    resources: {requests: {example.com/gpu: 1}, limits: "
                              "{example.com/gpu: 1}}\n"),
                          Node(), {})
                  .admit);
}

TEST(AdmissionTest, NodeSelectorAndAffinity) {
  EXPECT_TRUE(CanAdmitPod(Pod("a", "  nodeSelector: {disk: ssd}\n"), Node(), {}).admit);
  auto r = CanAdmitPod(Pod("a", "  nodeSelector: {disk: hdd}\n"), Node(), {});
  EXPECT_EQ(r.reason, "NodeAffinity");
  EXPECT_EQ(r.message,
            "Predicate NodeAffinity failed: node(s) didn't match Pod's node "
            "affinity/selector");
  auto affinity = [](const std::string& term) {
    return "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
           "        nodeSelectorTerms:\n" +
           term;
  };
  EXPECT_TRUE(CanAdmitPod(Pod("a", affinity("        - matchExpressions: [{key: cores, operator: "
                                            "Gt, values: ['4']}]\n")),
                          Node(), {})
                  .admit);
  EXPECT_FALSE(CanAdmitPod(Pod("a", affinity("        - matchExpressions: [{key: disk, operator: "
                                             "NotIn, values: [ssd]}]\n")),
                           Node(), {})
                   .admit);
  // Terms are ORed; matchFields names the node.
  EXPECT_TRUE(CanAdmitPod(Pod("a", affinity("        - matchExpressions: [{key: gpu, operator: "
                                            "Exists}]\n        - matchFields: [{key: "
                                            "metadata.name, operator: In, values: [node-1]}]\n")),
                          Node(), {})
                  .admit);
}

TEST(AdmissionTest, HostPortsInUse) {
  auto web = Pod("web", "", "    ports: [{containerPort: 80, hostPort: 8080}]\n");
  auto r = CanAdmitPod(Pod("a", "", "    ports: [{containerPort: 81, hostPort: 8080}]\n"), Node(),
                       {web});
  EXPECT_EQ(r.reason, "NodePorts");
  EXPECT_EQ(
      r.message,
      "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports");
  EXPECT_TRUE(CanAdmitPod(Pod("u", "",
                              "    ports: [{containerPort: 81, hostPort: 8080, protocol: "
                              "UDP}]\n"),
                          Node(), {web})
                  .admit);
}

TEST(AdmissionTest, NoExecuteTaintsOnlyAndNotForStaticPods) {
  NodeInfo node = Node();
  node.taints = {{"dedicated", "db", "NoSchedule"}};
  EXPECT_TRUE(CanAdmitPod(Pod("a", ""), node, {}).admit);  // the scheduler's business
  node.taints.push_back({"maintenance", "", "NoExecute"});
  auto r = CanAdmitPod(Pod("a", ""), node, {});
  EXPECT_EQ(r.reason, "TaintToleration");
  EXPECT_EQ(r.message, "Predicate TaintToleration failed: node(s) had untolerated taint");
  EXPECT_TRUE(
      CanAdmitPod(Pod("a", "  tolerations: [{key: maintenance, operator: Exists}]\n"), node, {})
          .admit);
  auto stat = Pod("s", "");
  stat.metadata.annotations["kubernetes.io/config.source"] = "file";
  EXPECT_TRUE(CanAdmitPod(stat, node, {}).admit);
}

TEST(AdmissionTest, TolerationMatching) {
  Taint t{"k", "v", "NoExecute"};
  EXPECT_TRUE(ToleratesTaint({{"k", "Equal", "v", "NoExecute", std::nullopt}}, t));
  EXPECT_TRUE(ToleratesTaint({{"k", "", "v", "", std::nullopt}}, t));
  EXPECT_FALSE(ToleratesTaint({{"k", "Equal", "w", "", std::nullopt}}, t));
  EXPECT_FALSE(ToleratesTaint({{"k", "Exists", "", "NoSchedule", std::nullopt}}, t));
  EXPECT_TRUE(ToleratesTaint({{"", "Exists", "", "", std::nullopt}}, t));
}

TEST(AdmissionTest, NodeInfoFromTheNodeObject) {
  auto info = NodeInfoFromJson(nlohmann::json::parse(R"({
    "metadata": {"name": "n", "labels": {"a": "b"}},
    "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoExecute"}]},
    "status": {"allocatable": {"cpu": "1500m", "memory": "1Gi", "pods": "110"}}})"));
  EXPECT_EQ(info.name, "n");
  EXPECT_EQ(info.labels.at("a"), "b");
  ASSERT_EQ(info.taints.size(), 1u);
  EXPECT_EQ(info.taints[0].effect, "NoExecute");
  EXPECT_EQ(info.allocatable.at("cpu").MilliValue(), 1500);
  EXPECT_EQ(info.allocatable.at("pods").Value(), 110);
}

}  // namespace
}  // namespace capstan::kubelet::lifecycle

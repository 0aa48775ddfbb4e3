// VolumeBinding: bound volumes' node affinity, and WaitForFirstConsumer claims that need a
// free volume the node may use or a provisioner.
#include "control-plane/scheduler/volume_binding.h"

#include <gtest/gtest.h>

#include <map>

#include "api/k8s/codec.h"
#include "control-plane/scheduler/schedule_pod.h"

namespace capstan::control_plane::scheduler {
namespace {

Json Node(const std::string& name) {
  return {{"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
          {"status", {{"allocatable", {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "110"}}}}}};
}

// A local volume on `node` ("" for none).
Json LocalVolume(const std::string& name, const std::string& size, const std::string& node,
                 const std::string& cls = "local") {
  Json v = {{"metadata", {{"name", name}}},
            {"spec",
             {{"capacity", {{"storage", size}}},
              {"accessModes", {"ReadWriteOnce"}},
              {"storageClassName", cls},
              {"local", {{"path", "/mnt/" + name}}}}},
            {"status", {{"phase", "Available"}}}};
  if (!node.empty()) {
    v["spec"]["nodeAffinity"] = {
        {"required",
         {{"nodeSelectorTerms",
           {{{"matchExpressions",
              {{{"key", "kubernetes.io/hostname"}, {"operator", "In"}, {"values", {node}}}}}}}}}}};
  }
  return v;
}

Json Claim(const std::string& name, const std::string& size, const std::string& cls,
           const std::string& volume = "") {
  Json c = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "uid-" + name}}},
            {"spec",
             {{"accessModes", {"ReadWriteOnce"}},
              {"storageClassName", cls},
              {"resources", {{"requests", {{"storage", size}}}}}}}};
  if (!volume.empty()) c["spec"]["volumeName"] = volume;
  return c;
}

api::k8s::Pod PodWithClaims(std::vector<std::string> claims) {
  std::string volumes;
  for (size_t i = 0; i < claims.size(); ++i) {
    volumes += "  - {name: v" + std::to_string(i) +
               ", persistentVolumeClaim: {claimName: " + claims[i] + "}}\n";
  }
  auto pod = api::k8s::DecodePodYaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default, uid: u}\nspec:\n"
      "  containers: [{name: c, image: i}]\n  volumes:\n" +
      volumes);
  EXPECT_TRUE(pod) << pod.error().message();
  return *pod;
}

class VolumeBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_.AddNode(Node("a"));
    snapshot_.AddNode(Node("b"));
    classes_["local"] = {{"metadata", {{"name", "local"}}},
                         {"provisioner", "kubernetes.io/no-provisioner"},
                         {"volumeBindingMode", "WaitForFirstConsumer"}};
    classes_["dynamic"] = {{"metadata", {{"name", "dynamic"}}},
                           {"provisioner", "hostpath.csi.capstan.dev"},
                           {"volumeBindingMode", "WaitForFirstConsumer"}};
    auto plugin = std::make_unique<VolumeBindingPlugin>(VolumeListers{
        [this](const std::string&, const std::string& n) -> std::optional<Json> {
          auto it = claims_.find(n);
          return it == claims_.end() ? std::nullopt : std::optional<Json>(it->second);
        },
        [this](const std::string& n) -> std::optional<Json> {
          auto it = volumes_.find(n);
          return it == volumes_.end() ? std::nullopt : std::optional<Json>(it->second);
        },
        [this] {
          std::vector<Json> out;
          for (const auto& [n, v] : volumes_) out.push_back(v);
          return out;
        },
        [this](const std::string& n) -> std::optional<Json> {
          auto it = classes_.find(n);
          return it == classes_.end() ? std::nullopt : std::optional<Json>(it->second);
        }});
    binding_ = plugin.get();
    plugins_.push_back(std::move(plugin));
  }
  ScheduleResult Schedule(const api::k8s::Pod& pod) {
    return SchedulePod(pod, snapshot_, plugins_, rng_);
  }
  const NodeState& NodeNamed(const std::string& name) {
    for (const auto& n : snapshot_.nodes()) {
      if (n.info.name == name) return n;
    }
    throw std::runtime_error("no node " + name);
  }

  Snapshot snapshot_;
  std::map<std::string, Json> claims_, volumes_, classes_;
  std::vector<std::unique_ptr<Plugin>> plugins_ = DefaultPlugins();
  VolumeBindingPlugin* binding_ = nullptr;
  std::mt19937 rng_{3};
};

TEST_F(VolumeBindingTest, ABoundLocalVolumeTiesThePodToItsNode) {
  volumes_["pv-b"] = LocalVolume("pv-b", "1Gi", "b");
  claims_["data"] = Claim("data", "1Gi", "local", "pv-b");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Schedule(PodWithClaims({"data"})).node, "b");
  volumes_["pv-b"] = LocalVolume("pv-b", "1Gi", "c");  // a node that is not there
  EXPECT_EQ(Schedule(PodWithClaims({"data"})).message,
            "0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 "
            "nodes are available: 2 Preemption is not helpful for scheduling.");
}

TEST_F(VolumeBindingTest, AWaitingClaimGoesWhereAFittingFreeVolumeIs) {
  volumes_["pv-a"] = LocalVolume("pv-a", "1Gi", "a");
  volumes_["pv-b"] = LocalVolume("pv-b", "5Gi", "b");
  claims_["data"] = Claim("data", "3Gi", "local");
  auto pod = PodWithClaims({"data"});
  auto r = Schedule(pod);
  EXPECT_EQ(r.node, "b");
  auto assignment = binding_->Assign(pod, NodeNamed("b"));
  ASSERT_TRUE(assignment);
  ASSERT_EQ(assignment->reserve.size(), 1u);
  EXPECT_EQ(assignment->reserve[0].first["metadata"]["name"], "pv-b");
  EXPECT_EQ(assignment->reserve[0].second["metadata"]["name"], "data");
  EXPECT_TRUE(assignment->provision.empty());
  EXPECT_FALSE(binding_->Assign(pod, NodeNamed("a")));  // nothing fits there
  // Taken by another claim: nothing is left.
  volumes_["pv-b"]["spec"]["claimRef"] = {{"namespace", "default"}, {"name", "other"}};
  EXPECT_EQ(Schedule(pod).message,
            "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to "
            "bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
            "scheduling.");
}

TEST_F(VolumeBindingTest, TwoClaimsNeverShareOneVolume) {
  volumes_["pv-a1"] = LocalVolume("pv-a1", "1Gi", "a");
  volumes_["pv-b1"] = LocalVolume("pv-b1", "1Gi", "b");
  volumes_["pv-b2"] = LocalVolume("pv-b2", "1Gi", "b");
  claims_["one"] = Claim("one", "1Gi", "local");
  claims_["two"] = Claim("two", "1Gi", "local");
  auto pod = PodWithClaims({"one", "two"});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Schedule(pod).node, "b");
  auto assignment = binding_->Assign(pod, NodeNamed("b"));
  ASSERT_TRUE(assignment);
  ASSERT_EQ(assignment->reserve.size(), 2u);
  EXPECT_NE(assignment->reserve[0].first["metadata"]["name"],
            assignment->reserve[1].first["metadata"]["name"]);
}

TEST_F(VolumeBindingTest, AProvisionerMakesAnyNodeFitAndIsToldTheNode) {
  claims_["dyn"] = Claim("dyn", "1Gi", "dynamic");
  auto pod = PodWithClaims({"dyn"});
  auto r = Schedule(pod);
  ASSERT_FALSE(r.node.empty());
  auto assignment = binding_->Assign(pod, NodeNamed(r.node));
  ASSERT_TRUE(assignment);
  EXPECT_TRUE(assignment->reserve.empty());
  ASSERT_EQ(assignment->provision.size(), 1u);
  EXPECT_EQ(assignment->provision[0]["metadata"]["name"], "dyn");
}

}  // namespace
}  // namespace capstan::control_plane::scheduler

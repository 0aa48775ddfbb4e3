// NodeTaintController: NoSchedule taints follow the node's conditions and cordon; the
// user's taints are kept; nothing is written when nothing changes.
#include "control-plane/controllers/node_taint_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kNodes;

Json Condition(const std::string& type, const std::string& status) {
  return {{"type", type}, {"status", status}};
}

Json Node(Json conditions, Json taints = Json::array()) {
  Json n = {{"apiVersion", "v1"},
            {"kind", "Node"},
            {"metadata", {{"name", "n1"}}},
            {"spec", Json::object()},
            {"status", {{"conditions", std::move(conditions)}}}};
  if (!taints.empty()) n["spec"]["taints"] = std::move(taints);
  return n;
}

Json Keys(const Json& taints) {
  Json out = Json::array();
  for (const auto& t : taints)
    out.push_back(t["key"].get<std::string>() + ":" + t["effect"].get<std::string>());
  return out;
}

const WallTime kNow = FromUnixNanos(1'800'000'000'000'000'000);

TEST(TaintsForConditions, MapsConditionsAndCordonAndKeepsOtherTaints) {
  Json user = {{"key", "dedicated"}, {"value", "db"}, {"effect", "NoSchedule"}};
  Json stale = {{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoSchedule"}};
  Json stale_no_execute = {{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoExecute"}};
  Json user_no_execute = {{"key", "maintenance"}, {"effect", "NoExecute"}};
  Json node = Node({Condition("Ready", "True"), Condition("MemoryPressure", "True"),
                    Condition("DiskPressure", "False"), Condition("PIDPressure", "True")},
                   {user, stale, stale_no_execute, user_no_execute});
  node["spec"]["unschedulable"] = true;
  EXPECT_EQ(Keys(TaintsForConditions(node, kNow)),
            Json::parse(R"(["dedicated:NoSchedule", "maintenance:NoExecute",
                             "node.kubernetes.io/memory-pressure:NoSchedule",
                             "node.kubernetes.io/pid-pressure:NoSchedule",
                             "node.kubernetes.io/unschedulable:NoSchedule"])"));
  Json unreachable = TaintsForConditions(Node({Condition("Ready", "Unknown")}), kNow);
  EXPECT_EQ(Keys(unreachable), Json::parse(R"(["node.kubernetes.io/unreachable:NoExecute",
                                                "node.kubernetes.io/unreachable:NoSchedule"])"));
  EXPECT_EQ(unreachable[0].value("timeAdded", ""), "2027-01-15T08:00:00Z");
  EXPECT_FALSE(unreachable[1].contains("timeAdded"));
  EXPECT_EQ(Keys(TaintsForConditions(Node({Condition("Ready", "False")}), kNow)),
            Json::parse(R"(["node.kubernetes.io/not-ready:NoExecute",
                             "node.kubernetes.io/not-ready:NoSchedule"])"));
}

TEST(TaintsForConditions, KeepsTheTimeAnExistingNoExecuteTaintWasAdded) {
  Json added = {{"key", "node.kubernetes.io/unreachable"},
                {"effect", "NoExecute"},
                {"timeAdded", "2026-01-01T00:00:00Z"}};
  Json taints = TaintsForConditions(Node({Condition("Ready", "Unknown")}, {added}), kNow);
  ASSERT_EQ(taints.size(), 2u);
  EXPECT_EQ(taints[0], added);
}

class NodeTaintControllerTest : public ControllerFixture {
 protected:
  Status Step() {
    Sync(nodes_);
    return controller_.Sync("/n1");
  }
  Json Taints() { return (*api_.Get(kNodes, "", "n1"))["spec"].value("taints", Json::array()); }
  client::Reflector nodes_{&api_, kNodes, "", {}};
  NodeTaintController controller_{&api_, &clock_, &nodes_};
};

TEST_F(NodeTaintControllerTest, TaintsUnderPressureAndClearsWhenItPasses) {
  ASSERT_TRUE(api_.Create(kNodes, "", Node({Condition("Ready", "True")})));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(Taints().empty());

  ASSERT_TRUE(api_.Patch(
      kNodes, "", "n1", client::PatchType::kMerge,
      {{"status",
        {{"conditions", {Condition("Ready", "True"), Condition("DiskPressure", "True")}}}}},
      "status"));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Keys(Taints()), Json::parse(R"(["node.kubernetes.io/disk-pressure:NoSchedule"])"));

  // Nothing changed: nothing written.
  api_.ClearCalls();
  ASSERT_TRUE(Step());
  for (const auto& c : api_.Calls()) {
    EXPECT_NE(c.rfind("update", 0), 0u) << c;
  }

  ASSERT_TRUE(api_.Patch(
      kNodes, "", "n1", client::PatchType::kMerge,
      {{"status",
        {{"conditions", {Condition("Ready", "True"), Condition("DiskPressure", "False")}}}}},
      "status"));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(Taints().empty());
}

}  // namespace
}  // namespace capstan::control_plane::controllers

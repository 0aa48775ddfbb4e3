// ResourceQuotaController: status.used from the namespace's pods and objects, in the units
// kubectl shows.
#include "control-plane/controllers/resource_quota_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kConfigMaps;
using client::resources::kPods;
using client::resources::kResourceQuotas;

class ResourceQuotaTest : public ControllerFixture {
 protected:
  void Pod(const std::string& name, const char* cpu, const char* memory, const char* phase) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"containers",
                   {{{"name", "c"},
                     {"image", "i"},
                     {"resources",
                      {{"requests", {{"cpu", cpu}, {"memory", memory}}},
                       {"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}}}}}}}},
                {"status", {{"phase", phase}}}};
    ASSERT_TRUE(api_.Create(kPods, "default", pod));
  }
  Json Used() {
    Sync(quotas_);
    Sync(pods_);
    EXPECT_TRUE(controller_.Sync("default/compute"));
    return (*api_.Get(kResourceQuotas, "default", "compute"))["status"]["used"];
  }

  client::Reflector quotas_{&api_, kResourceQuotas, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  ResourceQuotaController controller_{&api_, &clock_, &quotas_, &pods_};
};

TEST_F(ResourceQuotaTest, UsedCountsLivePodsAndObjects) {
  ASSERT_TRUE(api_.Create(kResourceQuotas, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "ResourceQuota"},
                           {"metadata", {{"name", "compute"}, {"namespace", "default"}}},
                           {"spec",
                            {{"hard",
                              {{"pods", "10"},
                               {"requests.cpu", "4"},
                               {"requests.memory", "8Gi"},
                               {"limits.memory", "16Gi"},
                               {"configmaps", "5"},
                               {"count/configmaps", "5"},
                               {"services", "2"}}}}}}));
  Pod("a", "250m", "128Mi", "Running");
  Pod("b", "500m", "128Mi", "Pending");
  Pod("done", "2", "1Gi", "Succeeded");  // ended: counts for nothing
  ASSERT_TRUE(api_.Create(kConfigMaps, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "settings"}, {"namespace", "default"}}}}));
  Json used = Used();
  EXPECT_EQ(used["pods"], "2");
  EXPECT_EQ(used["requests.cpu"], "750m");
  EXPECT_EQ(used["requests.memory"], "256Mi");
  EXPECT_EQ(used["limits.memory"], "2Gi");
  EXPECT_EQ(used["configmaps"], "1");
  EXPECT_EQ(used["count/configmaps"], "1");
  EXPECT_EQ(used["services"], "0");
  auto quota = api_.Get(kResourceQuotas, "default", "compute");
  EXPECT_EQ((*quota)["status"]["hard"]["requests.cpu"], "4");

  ASSERT_TRUE(api_.Delete(kPods, "default", "a"));
  used = Used();
  EXPECT_EQ(used["pods"], "1");
  EXPECT_EQ(used["requests.cpu"], "500m");
}

}  // namespace
}  // namespace capstan::control_plane::controllers

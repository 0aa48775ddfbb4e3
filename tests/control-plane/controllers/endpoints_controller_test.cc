// EndpointsController: ready and not-ready addresses of the selected pods, named target
// ports, the EndpointSlice beside the Endpoints, removal with the Service.
#include "control-plane/controllers/endpoints_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kEndpoints;
using client::resources::kEndpointSlices;
using client::resources::kPods;
using client::resources::kServices;

Json Service() {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"spec",
           {{"selector", {{"app", "web"}}},
            {"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", "http"}}}}}}};
}

Json Pod(const std::string& name, const std::string& ip, const std::string& app = "web") {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", app}}}}},
          {"spec",
           {{"nodeName", "n1"},
            {"containers",
             {{{"name", "c"},
               {"image", "i"},
               {"ports", {{{"name", "http"}, {"containerPort", 8080}}}}}}}}},
          {"status", {{"phase", "Running"}, {"podIP", ip}}}};
}

class EndpointsControllerTest : public ControllerFixture {
 protected:
  Status Step() {
    for (auto* r : {&services_, &pods_, &endpoints_, &slices_}) Sync(*r);
    auto st = controller_.Sync("default/web");
    if (!st) ADD_FAILURE() << st.error().message();
    return st;
  }
  client::Reflector services_{&api_, kServices, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  client::Reflector endpoints_{&api_, kEndpoints, "", {}};
  client::Reflector slices_{&api_, kEndpointSlices, "", {}};
  EndpointsController controller_{&api_, &clock_, &services_, &pods_, &endpoints_, &slices_};
};

TEST_F(EndpointsControllerTest, ReadyAndNotReadyPodsWithNamedTargetPorts) {
  ASSERT_TRUE(api_.Create(kServices, "default", Service()));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("b", "10.0.0.2")));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("a", "10.0.0.1")));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("other", "10.0.0.3", "db")));
  MakeReady("a");
  ASSERT_TRUE(api_.Patch(kPods, "default", "a", client::PatchType::kMerge,
                         {{"status", {{"podIP", "10.0.0.1"}}}}, "status"));
  ASSERT_TRUE(Step());
  auto ep = api_.Get(kEndpoints, "default", "web");
  ASSERT_TRUE(ep);
  const Json& subset = (*ep)["subsets"][0];
  ASSERT_EQ(subset["addresses"].size(), 1u);
  EXPECT_EQ(subset["addresses"][0]["ip"], "10.0.0.1");
  EXPECT_EQ(subset["addresses"][0]["targetRef"]["name"], "a");
  EXPECT_EQ(subset["notReadyAddresses"][0]["ip"], "10.0.0.2");
  EXPECT_EQ(subset["ports"], Json::parse(R"([{"name":"http","port":8080,"protocol":"TCP"}])"));

  auto slices = Items(kEndpointSlices);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["metadata"]["labels"]["kubernetes.io/service-name"], "web");
  EXPECT_EQ(slices[0]["endpoints"].size(), 2u);
  EXPECT_EQ(slices[0]["endpoints"][0]["conditions"]["ready"], true);
  EXPECT_EQ(slices[0]["ports"][0]["port"], 8080);

  // Nothing changed: nothing written.
  api_.ClearCalls();
  ASSERT_TRUE(Step());
  for (const auto& c : api_.Calls()) {
    EXPECT_EQ(c.rfind("update", 0), std::string::npos) << c;
    EXPECT_EQ(c.rfind("create", 0), std::string::npos) << c;
  }

  // A pod that leaves (deleted) leaves the endpoints.
  ASSERT_TRUE(api_.Delete(kPods, "default", "b", 0));
  ASSERT_TRUE(Step());
  ep = api_.Get(kEndpoints, "default", "web");
  EXPECT_FALSE((*ep)["subsets"][0].contains("notReadyAddresses"));

  ASSERT_TRUE(api_.Delete(kServices, "default", "web", 0));
  ASSERT_TRUE(Step());
  EXPECT_FALSE(api_.Get(kEndpoints, "default", "web"));
  EXPECT_TRUE(Items(kEndpointSlices).empty());
}

TEST_F(EndpointsControllerTest, AnUnnamedPortIsNamedEmptyInTheSlice) {
  Json service = Service();
  service["spec"]["ports"] = {{{"port", 80}}};  // targetPort defaults to the port
  ASSERT_TRUE(api_.Create(kServices, "default", service));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("a", "10.0.0.1")));
  ASSERT_TRUE(Step());
  auto ep = api_.Get(kEndpoints, "default", "web");
  ASSERT_TRUE(ep);
  EXPECT_EQ((*ep)["subsets"][0]["ports"], Json::parse(R"([{"port":80,"protocol":"TCP"}])"));
  auto slices = Items(kEndpointSlices);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["ports"], Json::parse(R"([{"name":"","port":80,"protocol":"TCP"}])"));
}

TEST_F(EndpointsControllerTest, ServicesWithoutASelectorAreLeftAlone) {
  Json service = Service();
  service["spec"].erase("selector");
  ASSERT_TRUE(api_.Create(kServices, "default", service));
  ASSERT_TRUE(api_.Create(kPods, "default", Pod("a", "10.0.0.1")));
  ASSERT_TRUE(Step());
  EXPECT_FALSE(api_.Get(kEndpoints, "default", "web"));
}

}  // namespace
}  // namespace capstan::control_plane::controllers

#include "control-plane/apiserver/discovery.h"

#include <gtest/gtest.h>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/crds.h"

namespace capstan::control_plane::apiserver {
namespace {

TEST(Discovery, GroupsAndResourceLists) {
  ResourceRegistry registry;
  Json groups = ApiGroupListDocument(registry);
  bool apps = false;
  for (const auto& g : groups["groups"]) {
    EXPECT_NE(g["name"], "");  // the core group is /api's
    if (g["name"] == "apps") {
      apps = true;
      EXPECT_EQ(g["preferredVersion"]["groupVersion"], "apps/v1");
    }
  }
  EXPECT_TRUE(apps);

  auto core = ApiResourceListDocument(registry, "", "v1");
  ASSERT_TRUE(core);
  bool pods = false, pod_status = false;
  for (const auto& r : (*core)["resources"]) {
    if (r["name"] == "pods") {
      pods = true;
      EXPECT_EQ(r["shortNames"], Json::array({"po"}));
      EXPECT_EQ(r["categories"], Json::array({"all"}));
      EXPECT_EQ(r["namespaced"], true);
    }
    if (r["name"] == "pods/status") pod_status = true;
  }
  EXPECT_TRUE(pods && pod_status);
  EXPECT_FALSE(ApiResourceListDocument(registry, "nope.io", "v1"));
}

TEST(Discovery, AggregatedDocumentSplitsLegacyAndNamed) {
  ResourceRegistry registry;
  Json legacy = AggregatedDiscoveryDocument(registry, true, "apidiscovery.k8s.io/v2");
  ASSERT_EQ(legacy["items"].size(), 1u);
  EXPECT_EQ(legacy["items"][0]["metadata"]["name"], "");
  Json named = AggregatedDiscoveryDocument(registry, false, "apidiscovery.k8s.io/v2");
  for (const auto& item : named["items"]) EXPECT_NE(item["metadata"]["name"], "");
  // The scale subresource answers as autoscaling/v1 Scale.
  for (const auto& item : named["items"]) {
    if (item["metadata"]["name"] != "apps") continue;
    for (const auto& r : item["versions"][0]["resources"]) {
      if (r["resource"] != "deployments") continue;
      bool scale = false;
      for (const auto& s : r["subresources"]) {
        if (s["subresource"] == "scale") {
          scale = true;
          EXPECT_EQ(s["responseKind"]["group"], "autoscaling");
        }
      }
      EXPECT_TRUE(scale);
    }
  }
}

TEST(Discovery, CustomResourcesAppearAndGo) {
  ResourceRegistry registry;
  Json crd = Json::parse(R"({"metadata":{"name":"widgets.example.com"},"spec":{
    "group":"example.com","scope":"Namespaced",
    "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
    "versions":[{"name":"v1","served":true,"storage":true,
      "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"}],
      "schema":{"openAPIV3Schema":{"type":"object"}}}]}})");
  auto served = ResourcesOfCrd(crd);
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].kind, "Widget");
  EXPECT_EQ(served[0].custom_columns.at(0).json_path, ".spec.size");
  registry.AddCustom(served[0]);
  EXPECT_TRUE(registry.Find("example.com", "v1", "widgets"));
  EXPECT_TRUE(ApiGroupDocument(registry, "example.com"));
  registry.RemoveCustom("example.com", "widgets");
  EXPECT_FALSE(registry.Find("example.com", "v1", "widgets"));
}

TEST(SchemaValidation, TypesRequiredEnumsBounds) {
  Json schema = Json::parse(R"({"type":"object","required":["spec"],"properties":{
    "spec":{"type":"object","required":["size"],"properties":{
      "size":{"type":"integer","minimum":1,"maximum":10},
      "color":{"type":"string","enum":["red","blue"]},
      "tags":{"type":"array","items":{"type":"string"}}}}}})");
  EXPECT_TRUE(ValidateAgainstSchema(schema, Json::parse(R"({"spec":{"size":3,"color":"red"}})"), "")
                  .empty());
  auto errors = ValidateAgainstSchema(
      schema, Json::parse(R"({"spec":{"size":30,"color":"green","tags":[1]}})"), "");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "spec.color");
  EXPECT_EQ(errors[1].field, "spec.size");
  EXPECT_EQ(errors[2].field, "spec.tags[0]");
  auto missing = ValidateAgainstSchema(schema, Json::object(), "");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].message, "Required value");
  EXPECT_EQ(missing[0].field, "spec");
}

TEST(ApiStatus, UpstreamMessages) {
  EXPECT_EQ(NotFoundError("apps", "deployments", "web").message,
            "deployments.apps \"web\" not found");
  ApiError invalid = InvalidError("", "Pod", "p", {Required("spec.containers[0].image")});
  EXPECT_EQ(invalid.message, "Pod \"p\" is invalid: spec.containers[0].image: Required value");
  Json status = invalid.ToStatus();
  EXPECT_EQ(status["code"], 422);
  EXPECT_EQ(status["details"]["kind"], "Pod");
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "FieldValueRequired");
  ApiError two = InvalidError("apps", "Deployment", "d",
                              {Required("spec.selector"), Required("spec.template")});
  EXPECT_EQ(two.message,
            "Deployment.apps \"d\" is invalid: [spec.selector: Required value, spec.template: "
            "Required value]");
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

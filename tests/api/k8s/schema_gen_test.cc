// The schema generator: parsing, resolution, the errors it gives for bad schema files, and the
// OpenAPI it writes.

#include <gtest/gtest.h>

#include "api/k8s/schema/gen/schema_model.h"
#include "api/k8s/schema/gen/schema_openapi.h"

namespace capstan::api::k8s::schema {
namespace {

using Json = nlohmann::json;

const char* kMeta = R"(package io.k8s.apimachinery.pkg.apis.meta.v1
type ObjectMeta "Metadata."
  name string "Name."
)";

Result<SchemaModel> Parse(const std::string& text, const std::string& extra = "") {
  std::vector<SchemaFile> files = {{"meta.schema", kMeta}, {"test.schema", text}};
  if (!extra.empty()) files.push_back({"extra.schema", extra});
  return ParseSchemaFiles(files);
}

std::string ErrorOf(const std::string& text, const std::string& extra = "") {
  auto model = Parse(text, extra);
  return model ? "" : model.error().message();
}

TEST(SchemaGen, KindsGetTypeMetaAndGroupVersionKind) {
  auto model = Parse(R"(# a comment
package io.k8s.api.apps.v1
groupversion apps/v1

kind Widget "A widget."
  spec WidgetSpec "Its spec."

type WidgetSpec "The spec."
  replicas int32 default=1 "How many."
  mode string default="Fast" enum=Fast|Slow "The mode."
  parts []Part merge=name list=map keys=name "Parts."
  size quantity "Size."
  labels map[string] "Labels."
  raw object "Anything."

type Part "A part."
  name string required "Its name."
)");
  ASSERT_TRUE(model) << model.error().message();
  Json defs = OpenApiDefinitions(*model);
  const Json& widget = defs.at("io.k8s.api.apps.v1.Widget");
  EXPECT_EQ(widget["x-kubernetes-group-version-kind"][0],
            (Json{{"group", "apps"}, {"version", "v1"}, {"kind", "Widget"}}));
  EXPECT_EQ(widget["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_EQ(widget["properties"]["apiVersion"]["type"], "string");
  const Json& spec = defs.at("io.k8s.api.apps.v1.WidgetSpec")["properties"];
  EXPECT_EQ(
      spec["replicas"],
      (Json{
          {"type", "integer"}, {"format", "int32"}, {"default", 1}, {"description", "How many."}}));
  EXPECT_EQ(spec["mode"]["default"], "Fast");
  EXPECT_EQ(spec["mode"]["enum"], (Json{"Fast", "Slow"}));
  EXPECT_EQ(spec["parts"]["items"]["$ref"], "#/definitions/io.k8s.api.apps.v1.Part");
  EXPECT_EQ(spec["parts"]["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(spec["parts"]["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ(spec["parts"]["x-kubernetes-list-type"], "map");
  EXPECT_EQ(spec["size"]["$ref"], "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity");
  EXPECT_EQ(spec["labels"]["additionalProperties"]["type"], "string");
  EXPECT_TRUE(spec["raw"]["x-kubernetes-preserve-unknown-fields"].get<bool>());
  EXPECT_EQ(defs.at("io.k8s.api.apps.v1.Part")["required"], Json{"name"});
  EXPECT_FALSE(defs.at("io.k8s.api.apps.v1.Part").contains("x-kubernetes-group-version-kind"));
}

TEST(SchemaGen, LikeCopiesFieldsAndSameFileNamesWin) {
  auto model = Parse(R"(package io.k8s.api.core.v1
groupversion v1
type Port "Core's port."
  port int32 "Port."
type Container "A container."
  name string "Name."
  ports []Port "Ports."
type Ephemeral like Container "A debugging container."
  target string "Target."
)",
                     R"(package io.k8s.api.discovery.v1
type Port "Discovery's port."
  number int32 "Number."
type Slice "A slice."
  ports []Port "Ports."
)");
  ASSERT_TRUE(model) << model.error().message();
  const auto& eph = model->types.at("io.k8s.api.core.v1.Ephemeral");
  ASSERT_EQ(eph.fields.size(), 3u);
  EXPECT_EQ(eph.fields[0].name, "name");
  EXPECT_EQ(eph.fields[2].name, "target");
  EXPECT_EQ(model->types.at("io.k8s.api.discovery.v1.Slice").fields[0].type.Element().name,
            "io.k8s.api.discovery.v1.Port");
  EXPECT_EQ(model->types.at("io.k8s.api.core.v1.Container").fields[1].type.Element().name,
            "io.k8s.api.core.v1.Port");
}

TEST(SchemaGen, BadFilesGetErrorsNamingFileAndLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"package p\ntype A \"a\"\n  x Missing \"x\"\n", "test.schema:3: unknown type Missing"},
      {"package p\ntype A \"a\"\n  x string frob \"x\"\n", "test.schema:3: unknown attribute"},
      {"package p\ntype A \"a\"\n  x string \"x\n", "test.schema:3: unterminated quoted string"},
      {"package p\ntype A \"a\"\n  x string \"x\"\n  x int32 \"y\"\n", "field x listed twice"},
      {"package p\ntype A \"a\"\n  xs []B merge=id \"x\"\ntype B \"b\"\n  name string \"n\"\n",
       "key id is not a field of B"},
      {"package p\ntype A \"a\"\n  xs []string list=map \"x\"\n", "list=map and keys= go together"},
      {"package p\ntype A \"a\"\n  x string default=nope \"x\"\n", "not a JSON literal"},
      {"package p\nkind A \"a\"\n", "test.schema:2: kind before groupversion"},
      {"  x string \"x\"\n", "test.schema:1: a field outside a type or kind"},
      {"package p\nfrobnicate\n", "test.schema:2: unknown statement"},
      {"package p\ntype A \"a\"\n  x lowercase \"x\"\n", "unknown type \"lowercase\""},
  };
  for (const auto& c : cases) {
    EXPECT_NE(ErrorOf(c.text).find(c.message), std::string::npos)
        << c.text << "\ngave: " << ErrorOf(c.text);
  }
  // A name defined in two other files is ambiguous.
  std::vector<SchemaFile> files = {{"a.schema", "package a\ntype Dup \"d\"\n  y string \"y\"\n"},
                                   {"b.schema", "package b\ntype Dup \"d\"\n  y string \"y\"\n"},
                                   {"c.schema", "package c\ntype U \"u\"\n  d Dup \"d\"\n"}};
  auto model = ParseSchemaFiles(files);
  ASSERT_FALSE(model);
  EXPECT_NE(model.error().message().find("c.schema:3: type Dup is defined in several files"),
            std::string::npos)
      << model.error().message();
}

}  // namespace
}  // namespace capstan::api::k8s::schema

// ApiClient conformance: the same behaviours against a real capstan-server (RestApiClient
// over HTTPS) and the in-memory FakeApiClient, so that tests written against the fake mean
// what they say about the real thing.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "api/k8s/client/fake_api_client.h"
#include "api/k8s/client/rest_api_client.h"
#include "control-plane/apiserver/server.h"

namespace capstan::api::k8s::client {
namespace {

namespace res = resources;

struct Backend {
  std::string name;
  std::function<std::unique_ptr<ApiClient>(const std::string& dir,
                                           std::unique_ptr<control_plane::apiserver::Server>*)>
      make;
};

class ApiClientConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-apiclient-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    api_ = GetParam().make(dir_, &server_);
    ASSERT_NE(api_, nullptr);
  }
  void TearDown() override {
    api_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  Json ConfigMap(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
            {"data", {{"k", value}}}};
  }

  std::string dir_;
  std::unique_ptr<control_plane::apiserver::Server> server_;
  std::unique_ptr<ApiClient> api_;
};

TEST_P(ApiClientConformance, CreateGetUpdateWithPreconditions) {
  auto created = api_->Create(res::kConfigMaps, "default", ConfigMap("a", "1"));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_FALSE((*created)["metadata"].value("uid", "").empty());
  std::string rv = (*created)["metadata"]["resourceVersion"];
  EXPECT_EQ(api_->Create(res::kConfigMaps, "default", ConfigMap("a", "1")).error().code(),
            Code::kAlreadyExists);
  EXPECT_EQ(api_->Get(res::kConfigMaps, "default", "nope").error().code(), Code::kNotFound);

  Json next = *created;
  next["data"]["k"] = "2";
  auto updated = api_->Update(res::kConfigMaps, "default", "a", next, "");
  ASSERT_TRUE(updated) << updated.error().message();
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv);
  // The same stale resourceVersion again: a conflict.
  next["data"]["k"] = "3";
  EXPECT_EQ(api_->Update(res::kConfigMaps, "default", "a", next, "").error().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ((*api_->Get(res::kConfigMaps, "default", "a"))["data"]["k"], "2");
}

TEST_P(ApiClientConformance, PatchesAndStatus) {
  Json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", "n1"}, {"labels", {{"a", "1"}}}}},
               {"spec", {{"unschedulable", false}}}};
  ASSERT_TRUE(api_->Create(res::kNodes, "", node));
  auto patched = api_->Patch(res::kNodes, "", "n1", PatchType::kMerge,
                             {{"metadata", {{"labels", {{"b", "2"}}}}}}, "");
  ASSERT_TRUE(patched) << patched.error().message();
  EXPECT_EQ((*patched)["metadata"]["labels"], (Json{{"a", "1"}, {"b", "2"}}));
  // Through status only status changes.
  auto status = api_->Patch(
      res::kNodes, "", "n1", PatchType::kMerge,
      {{"status", {{"phase", "Running"}}}, {"spec", {{"unschedulable", true}}}}, "status");
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ((*status)["status"]["phase"], "Running");
  EXPECT_EQ((*status)["spec"]["unschedulable"], false);
  auto strategic = api_->Patch(res::kNodes, "", "n1", PatchType::kStrategic,
                               {{"metadata", {{"labels", {{"a", nullptr}}}}}}, "");
  ASSERT_TRUE(strategic) << strategic.error().message();
  EXPECT_EQ((*strategic)["metadata"]["labels"], (Json{{"b", "2"}}));
}

TEST_P(ApiClientConformance, ListWithSelectorsAndDelete) {
  ASSERT_TRUE(api_->Create(res::kConfigMaps, "default", ConfigMap("a", "1")));
  Json other = ConfigMap("b", "1");
  other["metadata"]["labels"]["app"] = "db";
  ASSERT_TRUE(api_->Create(res::kConfigMaps, "default", other));
  ListOptions web;
  web.label_selector = "app=web";
  auto list = api_->List(res::kConfigMaps, "default", web);
  ASSERT_TRUE(list);
  ASSERT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["items"][0]["metadata"]["name"], "a");
  ListOptions by_name;
  by_name.field_selector = "metadata.name=b";
  EXPECT_EQ((*api_->List(res::kConfigMaps, "default", by_name))["items"].size(), 1u);
  ASSERT_TRUE(api_->Delete(res::kConfigMaps, "default", "a", -1));
  EXPECT_EQ(api_->Get(res::kConfigMaps, "default", "a").error().code(), Code::kNotFound);
  EXPECT_EQ(api_->Delete(res::kConfigMaps, "default", "a", -1).error().code(), Code::kNotFound);
}

TEST_P(ApiClientConformance, WatchSeesChangesAfterItsResourceVersion) {
  auto first = api_->Create(res::kConfigMaps, "default", ConfigMap("a", "1"));
  ASSERT_TRUE(first);
  ListOptions options;
  options.resource_version = (*first)["metadata"]["resourceVersion"];
  options.field_selector = "metadata.name=a";
  std::vector<std::string> seen;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Json next = ConfigMap("a", "2");
    ASSERT_TRUE(api_->Update(res::kConfigMaps, "default", "a", next, ""));
    ASSERT_TRUE(api_->Create(res::kConfigMaps, "default", ConfigMap("other", "x")));
    ASSERT_TRUE(api_->Delete(res::kConfigMaps, "default", "a", -1));
  });
  auto st = api_->Watch(res::kConfigMaps, "default", options, [&](const WatchEvent& e) {
    if (e.type == "BOOKMARK") return true;
    seen.push_back(e.type + " " + e.object["data"].value("k", ""));
    return seen.size() < 2;
  });
  writer.join();
  EXPECT_TRUE(st) << st.error().message();
  EXPECT_EQ(seen, (std::vector<std::string>{"MODIFIED 2", "DELETED 2"}));
}

std::vector<Backend> Backends() {
  return {
      {"Fake",
       [](const std::string&, std::unique_ptr<control_plane::apiserver::Server>*)
           -> std::unique_ptr<ApiClient> { return std::make_unique<FakeApiClient>(); }},
      {"CapstanServer",
       [](const std::string& dir,
          std::unique_ptr<control_plane::apiserver::Server>* server) -> std::unique_ptr<ApiClient> {
         control_plane::apiserver::ServerOptions o;
         o.data_dir = dir + "/server";
         o.bind_address = "127.0.0.1";
         o.port = 0;
         auto started = control_plane::apiserver::Server::Start(o);
         if (!started) {
           ADD_FAILURE() << started.error().message();
           return nullptr;
         }
         *server = std::move(*started);
         auto client = RestApiClient::FromKubeconfig((*server)->kubeconfig_path());
         if (!client) {
           ADD_FAILURE() << client.error().message();
           return nullptr;
         }
         return std::move(*client);
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiClientConformance, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace capstan::api::k8s::client

namespace capstan::api::k8s::client {
namespace {

// A restarted capstan-server finds its cluster as it left it: the defaults are kept, not
// created again, and the objects are there.
TEST(ServerRestart, StartsAgainOnItsDataDir) {
  char tmpl[] = "/tmp/capstan-restart-test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  control_plane::apiserver::ServerOptions o;
  o.data_dir = dir + "/server";
  o.bind_address = "127.0.0.1";
  o.port = 0;
  std::string uid;
  for (int run = 0; run < 2; ++run) {
    auto server = control_plane::apiserver::Server::Start(o);
    ASSERT_TRUE(server) << "run " << run << ": " << server.error().message();
    auto api = RestApiClient::FromKubeconfig((*server)->kubeconfig_path());
    ASSERT_TRUE(api);
    if (run == 0) {
      Json cm = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "kept"}}},
                 {"data", {{"k", "v"}}}};
      auto created = (*api)->Create(resources::kConfigMaps, "default", cm);
      ASSERT_TRUE(created);
      uid = (*created)["metadata"]["uid"];
    } else {
      auto kept = (*api)->Get(resources::kConfigMaps, "default", "kept");
      ASSERT_TRUE(kept) << kept.error().message();
      EXPECT_EQ((*kept)["metadata"]["uid"], uid);
    }
    auto svc = (*api)->Get({"", "v1", "services", true}, "default", "kubernetes");
    ASSERT_TRUE(svc);
    EXPECT_EQ((*svc)["spec"]["ports"][0]["targetPort"], (*server)->port());
    (*server)->Stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace capstan::api::k8s::client

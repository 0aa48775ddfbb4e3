// The generic registry over a real SQLite store in a temporary directory: metadata the
// server owns, generation, preconditions, graceful and finalized deletion, lists and watch.

#include "control-plane/apiserver/registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "control-plane/apiserver/strategy.h"
#include "tests/control-plane/apiserver/registry_fixture.h"

namespace capstan::control_plane::apiserver {
namespace {

class RegistryTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    for (const char* ns : {"default", "dev"}) {
      ASSERT_TRUE(registry_->Create(Res("namespaces"), "", {{"metadata", {{"name", ns}}}}, false));
    }
  }
  Json ConfigMap(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
            {"data", {{"a", "1"}}}};
  }
};

TEST_F(RegistryTest, CreateSetsServerOwnedMetadata) {
  Json cm = ConfigMap("x");
  cm["metadata"]["uid"] = "forged";
  cm["metadata"]["resourceVersion"] = "999";
  cm["unknownTopLevel"] = {{"kept", true}};
  auto created = registry_->Create(Res("configmaps"), "default", cm, false);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_NE(MetaString(*created, "uid"), "forged");
  EXPECT_EQ(MetaString(*created, "uid").size(), 36u);
  EXPECT_NE(MetaString(*created, "resourceVersion"), "999");
  EXPECT_FALSE(MetaString(*created, "creationTimestamp").empty());
  EXPECT_EQ(MetaString(*created, "namespace"), "default");
  EXPECT_EQ((*created)["unknownTopLevel"]["kept"], true);  // fields we do not know are kept

  auto again = registry_->Create(Res("configmaps"), "default", ConfigMap("x"), false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, 409);
  EXPECT_EQ(again.error().message, "configmaps \"x\" already exists");
}

TEST_F(RegistryTest, GenerateNameAndNamespaceChecks) {
  Json cm = ConfigMap("");
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "web-";
  auto created = registry_->Create(Res("configmaps"), "default", cm, false);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(MetaString(*created, "name").size(), 9u);
  EXPECT_EQ(MetaString(*created, "name").rfind("web-", 0), 0u);

  auto missing_ns = registry_->Create(Res("configmaps"), "nope", ConfigMap("x"), false);
  ASSERT_FALSE(missing_ns);
  EXPECT_EQ(missing_ns.error().message, "namespaces \"nope\" not found");

  Json bad = ConfigMap("Bad_Name");
  auto invalid = registry_->Create(Res("configmaps"), "default", bad, false);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, 422);
  EXPECT_EQ(invalid.error().causes.at(0).field, "metadata.name");
}

TEST_F(RegistryTest, UpdatePreconditionsAndNoOpUpdates) {
  auto created = registry_->Create(Res("configmaps"), "default", ConfigMap("x"), false);
  ASSERT_TRUE(created);
  Json stale = *created;
  Json next = *created;
  next["data"]["a"] = "2";
  auto updated = registry_->Update(Res("configmaps"), "default", "x", next, "", false);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_NE(MetaString(*updated, "resourceVersion"), MetaString(*created, "resourceVersion"));

  stale["data"]["a"] = "3";
  auto conflict = registry_->Update(Res("configmaps"), "default", "x", stale, "", false);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().reason, "Conflict");

  // Writing what is stored changes nothing, not even the resourceVersion.
  auto same = registry_->Update(Res("configmaps"), "default", "x", *updated, "", false);
  ASSERT_TRUE(same);
  EXPECT_EQ(MetaString(*same, "resourceVersion"), MetaString(*updated, "resourceVersion"));
}

TEST_F(RegistryTest, GenerationFollowsSpecAndStatusIsSeparate) {
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"i"}]}}}})");
  const ResourceInfo& r = Res("deployments", "apps");
  auto created = registry_->Create(r, "default", deploy, false);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  EXPECT_EQ((*created)["spec"]["replicas"], 1);  // defaulted

  Json labeled = *created;
  labeled["metadata"]["labels"]["x"] = "y";
  labeled["status"] = {{"replicas", 7}};  // ignored on the main resource
  auto after_label = registry_->Update(r, "default", "web", labeled, "", false);
  ASSERT_TRUE(after_label);
  EXPECT_EQ((*after_label)["metadata"]["generation"], 1);
  EXPECT_FALSE((*after_label)["status"].contains("replicas"));

  Json status = *after_label;
  status["status"] = {{"replicas", 2}};
  auto after_status = registry_->Update(r, "default", "web", status, "status", false);
  ASSERT_TRUE(after_status);
  EXPECT_EQ((*after_status)["status"]["replicas"], 2);

  Json scaled = *after_status;
  scaled["spec"]["replicas"] = 3;
  auto after_scale = registry_->Update(r, "default", "web", scaled, "", false);
  ASSERT_TRUE(after_scale);
  EXPECT_EQ((*after_scale)["metadata"]["generation"], 2);
  EXPECT_EQ((*after_scale)["status"]["replicas"], 2);  // status survives spec updates
}

TEST_F(RegistryTest, PodsAreDeletedGracefullyWhenScheduled) {
  Json pod = Json::parse(R"({"metadata":{"name":"p"},"spec":{"nodeName":"n1",
    "terminationGracePeriodSeconds":20,"containers":[{"name":"a","image":"i"}]}})");
  const ResourceInfo& r = Res("pods");
  ASSERT_TRUE(registry_->Create(r, "default", pod, false));
  auto first = registry_->Delete(r, "default", "p", {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->removed);
  EXPECT_EQ(first->object["metadata"]["deletionGracePeriodSeconds"], 20);
  EXPECT_TRUE(registry_->Get(r, "default", "p"));
  DeleteOptions now;
  now.grace_period_seconds = 0;  // the kubelet's confirmation
  auto second = registry_->Delete(r, "default", "p", now);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->removed);
  EXPECT_FALSE(registry_->Get(r, "default", "p"));

  // An unscheduled pod has no kubelet to wait for.
  Json pending = pod;
  pending["spec"].erase("nodeName");
  ASSERT_TRUE(registry_->Create(r, "default", pending, false));
  auto gone = registry_->Delete(r, "default", "p", {});
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->removed);
}

TEST_F(RegistryTest, FinalizersHoldDeletionUntilRemoved) {
  Json cm = ConfigMap("f");
  cm["metadata"]["finalizers"] = {"example.com/hold"};
  const ResourceInfo& r = Res("configmaps");
  ASSERT_TRUE(registry_->Create(r, "default", cm, false));
  auto del = registry_->Delete(r, "default", "f", {});
  ASSERT_TRUE(del);
  EXPECT_FALSE(del->removed);
  EXPECT_FALSE(Lookup(del->object, {"metadata", "deletionTimestamp"}).is_null());
  Json released = del->object;
  released["metadata"]["finalizers"] = Json::array();
  auto after = registry_->Update(r, "default", "f", released, "", false);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(registry_->Get(r, "default", "f"));
}

TEST_F(RegistryTest, PropagationPoliciesBecomeFinalizers) {
  const ResourceInfo& r = Res("configmaps");
  for (const char* policy : {"Orphan", "Foreground"}) {
    ASSERT_TRUE(registry_->Create(r, "default",
                                  ConfigMap(policy == std::string("Orphan") ? "o" : "g"), false));
  }
  DeleteOptions orphan;
  orphan.propagation_policy = "Orphan";
  auto o = registry_->Delete(r, "default", "o", orphan);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->object["metadata"]["finalizers"], Json::array({"orphan"}));
  DeleteOptions fg;
  fg.propagation_policy = "Foreground";
  auto g = registry_->Delete(r, "default", "g", fg);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->object["metadata"]["finalizers"], Json::array({"foregroundDeletion"}));
}

TEST_F(RegistryTest, ListSelectorsAndPages) {
  const ResourceInfo& r = Res("configmaps");
  for (int i = 0; i < 7; ++i) {
    Json cm = ConfigMap("cm" + std::to_string(i));
    cm["metadata"]["labels"]["parity"] = i % 2 ? "odd" : "even";
    ASSERT_TRUE(registry_->Create(r, i < 5 ? "default" : "dev", cm, false));
  }
  ListQuery all;
  auto everything = registry_->List(r, all);
  ASSERT_TRUE(everything);
  EXPECT_EQ((*everything)["items"].size(), 7u);
  EXPECT_EQ((*everything)["kind"], "ConfigMapList");

  ListQuery odd_default;
  odd_default.namespace_ = "default";
  odd_default.label_selector = "parity=odd";
  auto odd = registry_->List(r, odd_default);
  ASSERT_TRUE(odd);
  EXPECT_EQ((*odd)["items"].size(), 2u);

  ListQuery by_name;
  by_name.field_selector = "metadata.name=cm6";
  auto one = registry_->List(r, by_name);
  ASSERT_TRUE(one);
  ASSERT_EQ((*one)["items"].size(), 1u);
  EXPECT_EQ(MetaString((*one)["items"][0], "namespace"), "dev");

  // Pages of 3 with continue tokens see every object once.
  ListQuery page;
  page.limit = 3;
  std::set<std::string> seen;
  for (int n = 0; n < 5; ++n) {
    auto got = registry_->List(r, page);
    ASSERT_TRUE(got) << got.error().message;
    for (const auto& item : (*got)["items"]) seen.insert(MetaString(item, "name"));
    std::string token = StringOr(Lookup(*got, {"metadata", "continue"}));
    if (token.empty()) break;
    page.continue_token = token;
  }
  EXPECT_EQ(seen.size(), 7u);

  ListQuery bad;
  bad.field_selector = "spec.nope=1";
  auto rejected = registry_->List(r, bad);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, 400);
}

TEST_F(RegistryTest, WatchSeesChangesAndSelectionExits) {
  const ResourceInfo& r = Res("configmaps");
  auto created = registry_->Create(r, "default", ConfigMap("w"), false);
  ASSERT_TRUE(created);
  WatchQuery q;
  q.namespace_ = "default";
  q.label_selector = "app=web";
  q.resource_version = MetaString(*created, "resourceVersion");
  q.timeout = std::chrono::seconds(5);
  std::vector<std::string> types;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Json next = *created;
    next["data"]["a"] = "2";
    auto u = registry_->Update(r, "default", "w", next, "", false);
    ASSERT_TRUE(u);
    Json relabeled = *u;
    relabeled["metadata"]["labels"]["app"] = "other";  // leaves the selection
    ASSERT_TRUE(registry_->Update(r, "default", "w", relabeled, "", false));
  });
  auto result = registry_->Watch(
      r, q,
      [&](const WatchEventOut& ev) {
        types.push_back(ev.type);
        return types.size() < 2;
      },
      [] { return false; });
  writer.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(types, (std::vector<std::string>{"MODIFIED", "DELETED"}));
}

}  // namespace
}  // namespace capstan::control_plane::apiserver

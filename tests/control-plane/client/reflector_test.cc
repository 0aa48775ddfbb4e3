// Reflector over the fake API client: the first list, then watched changes, selected by field.
#include "api/k8s/client/reflector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/k8s/client/fake_api_client.h"

namespace capstan::api::k8s::client {
namespace {

bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 200; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

Json Node(const std::string& name, const std::string& label) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", {{"disk", label}}}}}};
}

TEST(ReflectorTest, ListsThenFollowsTheSelectedObject) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("a", "hdd")));
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("b", "hdd")));
  ListOptions only_a;
  only_a.field_selector = "metadata.name=a";
  std::atomic<int> changes{0};
  Reflector r(
      &api, resources::kNodes, "", only_a, [&] { ++changes; }, std::chrono::seconds(1));
  EXPECT_FALSE(r.Synced());
  r.Start();
  ASSERT_TRUE(Eventually([&] { return r.Synced(); }));
  ASSERT_TRUE(r.Get("", "a"));
  EXPECT_EQ((*r.Get("", "a"))["metadata"]["labels"]["disk"], "hdd");
  EXPECT_FALSE(r.Get("", "b"));  // not selected

  ASSERT_TRUE(api.Patch(resources::kNodes, "", "a", PatchType::kMerge,
                        {{"metadata", {{"labels", {{"disk", "ssd"}}}}}}, ""));
  EXPECT_TRUE(Eventually([&] {
    auto a = r.Get("", "a");
    return a && (*a)["metadata"]["labels"]["disk"] == "ssd";
  }));
  ASSERT_TRUE(api.Delete(resources::kNodes, "", "a", 0));
  EXPECT_TRUE(Eventually([&] { return !r.Get("", "a"); }));
  EXPECT_GE(changes.load(), 3);
  r.Stop();
}

TEST(ReflectorTest, FailedRoundsAreRetried) {
  FakeApiClient api;
  api.FailNext("list", Error(Code::kUnavailable, "connection refused"), 2);
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("a", "hdd")));
  Reflector r(&api, resources::kNodes, "", {}, {}, std::chrono::seconds(1));
  r.Start();
  EXPECT_TRUE(Eventually([&] { return r.Synced() && r.List().size() == 1; }));
  r.Stop();
}

TEST(ReflectorTest, HandlersHearEachChangeAndARelistReportsWhatWasMissed) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("a", "hdd")));
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("b", "hdd")));
  Reflector r(&api, resources::kNodes, "", {}, {}, std::chrono::seconds(1));
  std::mutex mu;
  std::vector<std::string> seen;
  auto note = [&](const std::string& what) {
    std::lock_guard lock(mu);
    seen.push_back(what);
  };
  r.AddEventHandler({[&](const Json& o) { note("add " + o["metadata"].value("name", "")); },
                     [&](const Json& old, const Json& o) {
                       note("update " + o["metadata"].value("name", "") + " " +
                            old["metadata"]["labels"].value("disk", "") + "->" +
                            o["metadata"]["labels"].value("disk", ""));
                     },
                     [&](const Json& o) { note("delete " + o["metadata"].value("name", "")); }});
  // The first list, driven by hand: no watch thread.
  api.StopWatches();
  ASSERT_TRUE(r.ListAndWatch());
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::string>{"add a", "add b"}));
    seen.clear();
  }
  // Changes while no watch ran, then a relist (as after a 410).
  ASSERT_TRUE(api.Patch(resources::kNodes, "", "a", PatchType::kMerge,
                        {{"metadata", {{"labels", {{"disk", "ssd"}}}}}}, ""));
  ASSERT_TRUE(api.Delete(resources::kNodes, "", "b", 0));
  ASSERT_TRUE(api.Create(resources::kNodes, "", Node("c", "hdd")));
  api.FailNext("watch", Error(Code::kOutOfRange, "too old resource version"));
  EXPECT_FALSE(r.ListAndWatch());  // the watch fails: the next round lists again
  ASSERT_TRUE(r.ListAndWatch());
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"delete b", "update a hdd->ssd", "add c"}));
  int visited = 0;
  r.ForEach([&](const Json&) { ++visited; });
  EXPECT_EQ(visited, 2);
}

}  // namespace
}  // namespace capstan::api::k8s::client

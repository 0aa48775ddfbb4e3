// Pods from the API server (ApiSource) and their status back to it (ApiStatusReporter),
// against the fake API client.

#include "kubelet/sources/api/api_source.h"

#include <gtest/gtest.h>

#include <thread>

#include "api/k8s/client/fake_api_client.h"
#include "api/k8s/codec.h"
#include "kubelet/status/api_status_reporter.h"

namespace capstan::kubelet::sources {
namespace {

namespace res = api::k8s::client::resources;
using api::k8s::client::FakeApiClient;
using Json = api::k8s::client::Json;

Json PodOn(const std::string& name, const std::string& node, const std::string& image = "x") {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"nodeName", node}, {"containers", {{{"name", "c"}, {"image", image}}}}}}};
}

std::vector<std::string> Ops(PodConfig& config) {
  std::vector<std::string> out;
  for (const auto& u : config.Drain()) {
    for (const auto& p : u.pods) {
      out.push_back(std::string(PodOperationName(u.op)) + " " + p.metadata.name);
    }
  }
  return out;
}

TEST(ApiSource, ListsThenWatchesOnlyThisNodesPods) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("mine", "node-a")));
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("theirs", "node-b")));
  PodConfig config;
  ApiSource source(&api, "node-a", &config);
  std::thread watcher([&] { (void)source.ListAndWatch(); });
  for (int i = 0; i < 100 && !config.SourceReady(kApiSource); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(config.SourceReady(kApiSource));
  auto first = config.Drain();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].pods.size(), 1u);
  EXPECT_EQ(first[0].pods[0].metadata.name, "mine");
  EXPECT_EQ(first[0].pods[0].metadata.annotations.at(kConfigSourceAnnotation), "api");

  // A new image is an UPDATE; a status written by the kubelet is not; a new pod is an ADD.
  Json mine = *api.Get(res::kPods, "default", "mine");
  mine["spec"]["containers"][0]["image"] = "y";
  ASSERT_TRUE(api.Update(res::kPods, "default", "mine", mine, ""));
  ASSERT_TRUE(api.Patch(res::kPods, "default", "mine", api::k8s::client::PatchType::kMerge,
                        {{"status", {{"phase", "Running"}}}}, "status"));
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("second", "node-a")));
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("elsewhere", "node-b")));
  ASSERT_TRUE(api.Delete(res::kPods, "default", "second", 0));
  std::vector<std::string> ops;
  for (int i = 0; i < 100 && ops.size() < 3; ++i) {
    for (auto& op : Ops(config)) ops.push_back(op);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  api.StopWatches();
  watcher.join();
  EXPECT_EQ(ops, (std::vector<std::string>{"UPDATE mine", "ADD second", "REMOVE second"}));
}

TEST(ApiSource, AFailedWatchListsAgain) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("mine", "node-a")));
  PodConfig config;
  ApiSource source(&api, "node-a", &config);
  api.FailNext("watch", Error(Code::kOutOfRange, "too old resource version"));
  EXPECT_FALSE(source.ListAndWatch());
  ASSERT_TRUE(api.Delete(res::kPods, "default", "mine", 0));  // missed while away
  api.ClearCalls();
  api.FailNext("watch", Error(Code::kUnavailable, "gone"));
  EXPECT_FALSE(source.ListAndWatch());
  EXPECT_EQ(api.Calls().front(), "list pods ");  // a fresh list, not a resumed watch
  auto ops = Ops(config);
  EXPECT_EQ(ops.back(), "REMOVE mine");
}

TEST(ApiStatusReporter, WritesChangedStatusesAndFinishesDeletions) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create(res::kPods, "default", PodOn("web", "node-a")));
  auto pod = api::k8s::DecodePod(*api.Get(res::kPods, "default", "web"));
  ASSERT_TRUE(pod);
  api::k8s::PodStatus status;
  status.phase = "Running";
  status.pod_ip = "10.88.0.5";
  uint64_t generation = 1;
  bool terminated = false;
  status::PodStatusView view;
  view.pods = [&] { return std::vector<api::k8s::Pod>{*pod}; };
  view.status = [&](const std::string&) {
    return std::optional<std::pair<api::k8s::PodStatus, uint64_t>>({status, generation});
  };
  view.terminated = [&](const std::string&) { return terminated; };
  status::ApiStatusReporter reporter(&api, view);

  reporter.SyncOnce();
  auto stored = api.Get(res::kPods, "default", "web");
  EXPECT_EQ((*stored)["status"]["phase"], "Running");
  EXPECT_EQ((*stored)["status"]["podIP"], "10.88.0.5");
  api.ClearCalls();
  reporter.SyncOnce();  // unchanged: nothing written
  EXPECT_TRUE(api.Calls().empty());

  // Deleted in the API: the object goes once the pod stopped and its last status is out.
  pod->metadata.deletion_timestamp = WallNow();
  status.phase = "Succeeded";
  generation = 2;
  reporter.SyncOnce();
  stored = api.Get(res::kPods, "default", "web");  // still running: only the status went
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["status"]["phase"], "Succeeded");
  terminated = true;
  api.ClearCalls();
  reporter.SyncOnce();
  EXPECT_EQ(api.Calls(), (std::vector<std::string>{"delete pods default/web"}));
  EXPECT_EQ(api.Get(res::kPods, "default", "web").error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace capstan::kubelet::sources

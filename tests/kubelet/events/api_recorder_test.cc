// Events to the API server: upstream's shape, and aggregation of repeats.

#include "kubelet/events/api_recorder.h"

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::events {
namespace {

namespace res = api::k8s::client::resources;

api::k8s::Pod Pod() {
  api::k8s::Pod p;
  p.metadata.name = "web";
  p.metadata.namespace_ = "default";
  p.metadata.uid = "uid-1";
  api::k8s::Container init;
  init.name = "setup";
  p.spec.init_containers.push_back(init);
  return p;
}

TEST(ApiEventRecorder, WritesEventsAndAggregatesRepeats) {
  api::k8s::client::FakeApiClient api;
  testing::FakeClock clock;
  {
    ApiEventRecorder recorder(&api, "node-a", &clock);
    auto pod = Pod();
    recorder.PodEvent(pod, ContainerFieldPath(pod, "app"), kWarning, "BackOff",
                      "Back-off restarting failed container app");
    clock.Advance(std::chrono::seconds(30));
    recorder.PodEvent(pod, ContainerFieldPath(pod, "app"), kWarning, "BackOff",
                      "Back-off restarting failed container app");
    recorder.PodEvent(pod, ContainerFieldPath(pod, "setup"), kNormal, "Started",
                      "Started container setup");
    recorder.NodeEvent(kNormal, "Starting", "Starting kubelet.");
    recorder.Flush();
  }
  auto events = (*api.List(res::kEvents, "", {}))["items"];
  ASSERT_EQ(events.size(), 3u);
  std::map<std::string, api::k8s::client::Json> by_reason;
  for (const auto& e : events) by_reason[e["reason"]] = e;
  const auto& backoff = by_reason.at("BackOff");
  EXPECT_EQ(backoff["count"], 2);
  EXPECT_EQ(backoff["type"], "Warning");
  EXPECT_EQ(backoff["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(backoff["lastTimestamp"], "2026-01-01T00:00:30Z");
  EXPECT_EQ(backoff["involvedObject"]["fieldPath"], "spec.containers{app}");
  EXPECT_EQ(backoff["involvedObject"]["uid"], "uid-1");
  EXPECT_EQ(backoff["source"]["component"], "kubelet");
  EXPECT_EQ(backoff["source"]["host"], "node-a");
  EXPECT_EQ(by_reason.at("Started")["involvedObject"]["fieldPath"], "spec.initContainers{setup}");
  EXPECT_EQ(by_reason.at("Starting")["involvedObject"]["kind"], "Node");
  EXPECT_EQ(by_reason.at("Starting")["metadata"]["namespace"], "default");
}

TEST(ApiEventRecorder, AnUnreachableServerDropsEventsWithoutBlocking) {
  api::k8s::client::FakeApiClient api;
  testing::FakeClock clock;
  api.FailNext("create", Error(Code::kUnavailable, "connection refused"), 5);
  ApiEventRecorder recorder(&api, "node-a", &clock);
  auto pod = Pod();
  recorder.PodEvent(pod, "", kNormal, "Scheduled", "x");
  recorder.Flush();
  EXPECT_TRUE((*api.List(res::kEvents, "", {}))["items"].empty());
}

}  // namespace
}  // namespace capstan::kubelet::events

#pragma once
// Controllers over the fake API client, their informers driven by hand: each Sync lists.

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "api/k8s/client/reflector.h"
#include "common/testing/fake_clock.h"

namespace capstan::control_plane::controllers {

namespace client = api::k8s::client;
using Json = nlohmann::json;

class ControllerFixture : public ::testing::Test {
 protected:
  void SetUp() override { api_.StopWatches(); }
  // Brings an informer up to date (a list, as after an expired watch).
  void Sync(client::Reflector& r) {
    api_.FailNext("watch", Error(Code::kOutOfRange, "expired"));
    (void)r.ListAndWatch();
    ASSERT_TRUE(r.ListAndWatch());
  }
  std::vector<Json> Items(const client::Resource& r) {
    auto list = api_.List(r, "default", {});
    EXPECT_TRUE(list);
    std::vector<Json> out;
    for (const auto& i : (*list)["items"]) out.push_back(i);
    return out;
  }
  std::vector<std::string> EventMessages(const std::string& reason) {
    std::vector<std::string> out;
    for (const auto& e : Items(client::resources::kEvents)) {
      if (e.value("reason", "") == reason) out.push_back(e.value("message", ""));
    }
    return out;
  }
  // Marks a pod Running and Ready (what the kubelet would report).
  void MakeReady(const std::string& pod) {
    ASSERT_TRUE(api_.Patch(client::resources::kPods, "default", pod, client::PatchType::kMerge,
                           {{"status",
                             {{"phase", "Running"},
                              {"conditions",
                               {{{"type", "Ready"},
                                 {"status", "True"},
                                 {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}}}},
                           "status"));
  }

  client::FakeApiClient api_;
  testing::FakeClock clock_;
};

}  // namespace capstan::control_plane::controllers

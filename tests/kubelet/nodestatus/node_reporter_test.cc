// The node's registration, status and lease against the fake API client.

#include "kubelet/nodestatus/node_reporter.h"

#include <gtest/gtest.h>

#include "api/k8s/client/fake_api_client.h"
#include "kubelet/testing/fake_clock.h"

namespace capstan::kubelet::nodestatus {
namespace {

namespace res = api::k8s::client::resources;
using api::k8s::client::FakeApiClient;

NodeFacts Facts() {
  NodeFacts f;
  f.name = "node-a";
  f.node_ip = "10.0.0.7";
  f.hostname = "node-a";
  f.labels = {{"role", "worker"}};
  f.taints = Json::parse(R"([{"key":"dedicated","value":"gpu","effect":"NoSchedule"}])");
  f.cpu_cores = 4;
  f.memory_bytes = 8LL << 30;
  f.ephemeral_storage_bytes = 100LL << 30;
  f.max_pods = 110;
  f.hugepages_bytes = {{"2Mi", 0}};
  f.reserved = {{"cpu", "500m"}, {"memory", "512Mi"}};
  f.kernel_version = "6.1.0-test";
  f.os_image = "Debian GNU/Linux 12 (bookworm)";
  f.container_runtime_version = "capstan://0.1.0";
  f.kubelet_version = "v1.31.0";
  f.machine_id = "m-1";
  f.boot_id = "b-1";
  return f;
}

std::string ConditionOf(const Json& node, const std::string& type, const char* field) {
  for (const auto& c : node["status"]["conditions"]) {
    if (c["type"] == type) return c.value(field, "");
  }
  return "";
}

class NodeReporterTest : public ::testing::Test {
 protected:
  NodeReporter Reporter() {
    return NodeReporter(&api_, &clock_, Facts(), [this] { return health_; });
  }
  FakeApiClient api_;
  testing::FakeClock clock_;
  NodeHealth health_;
};

TEST_F(NodeReporterTest, RegistersTheNodeAsUpstreamDescribesIt) {
  auto reporter = Reporter();
  reporter.Tick();
  ASSERT_TRUE(reporter.registered());
  auto node = api_.Get(res::kNodes, "", "node-a");
  ASSERT_TRUE(node);
  const Json& labels = (*node)["metadata"]["labels"];
  EXPECT_EQ(labels["kubernetes.io/hostname"], "node-a");
  EXPECT_EQ(labels["kubernetes.io/os"], "linux");
  EXPECT_EQ(labels["kubernetes.io/arch"], "amd64");
  EXPECT_EQ(labels["role"], "worker");
  EXPECT_EQ((*node)["spec"]["taints"][0]["key"], "dedicated");
  const Json& status = (*node)["status"];
  EXPECT_EQ(status["capacity"]["cpu"], "4");
  EXPECT_EQ(status["capacity"]["memory"], "8388608Ki");
  EXPECT_EQ(status["capacity"]["pods"], "110");
  EXPECT_EQ(status["capacity"]["hugepages-2Mi"], "0");
  // Allocatable: capacity less reserved and the 100Mi hard eviction threshold.
  EXPECT_EQ(status["allocatable"]["cpu"], "3500m");
  EXPECT_EQ(status["allocatable"]["memory"],
            std::to_string((8LL << 20) - 512 * 1024 - 100 * 1024) + "Ki");
  EXPECT_EQ(status["addresses"][0], (Json{{"type", "InternalIP"}, {"address", "10.0.0.7"}}));
  EXPECT_EQ(status["addresses"][1], (Json{{"type", "Hostname"}, {"address", "node-a"}}));
  EXPECT_EQ(status["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
  EXPECT_EQ(status["nodeInfo"]["containerRuntimeVersion"], "capstan://0.1.0");
  EXPECT_EQ(status["nodeInfo"]["kernelVersion"], "6.1.0-test");
  EXPECT_EQ(ConditionOf(*node, "Ready", "status"), "True");
  EXPECT_EQ(ConditionOf(*node, "Ready", "reason"), "KubeletReady");
  EXPECT_EQ(ConditionOf(*node, "Ready", "message"), "kubelet is posting ready status");
  EXPECT_EQ(ConditionOf(*node, "MemoryPressure", "reason"), "KubeletHasSufficientMemory");
  EXPECT_EQ(ConditionOf(*node, "DiskPressure", "status"), "False");
  EXPECT_EQ(ConditionOf(*node, "PIDPressure", "message"), "kubelet has sufficient PID available");

  auto lease = api_.Get(res::kLeases, "kube-node-lease", "node-a");
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "node-a");
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ((*lease)["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ((*lease)["metadata"]["ownerReferences"][0]["uid"], (*node)["metadata"]["uid"]);
}

TEST_F(NodeReporterTest, PatchesStatusOnChangeOrEveryFiveMinutesAndRenewsTheLease) {
  auto reporter = Reporter();
  reporter.Tick();
  api_.ClearCalls();
  clock_.Advance(std::chrono::seconds(10));
  reporter.Tick();
  // Nothing changed: only the lease is renewed.
  EXPECT_EQ(api_.Calls(), (std::vector<std::string>{"get leases kube-node-lease/node-a",
                                                    "update leases kube-node-lease/node-a"}));
  auto lease = api_.Get(res::kLeases, "kube-node-lease", "node-a");
  EXPECT_EQ((*lease)["spec"]["renewTime"], "2026-01-01T00:00:10.000000Z");

  // The runtime goes down: the status is patched at the next check, with upstream's words.
  health_.runtime_ready = false;
  health_.runtime_message = "connection refused";
  api_.ClearCalls();
  clock_.Advance(std::chrono::seconds(10));
  reporter.Tick();
  EXPECT_EQ(api_.Calls().front(), "patch nodes node-a/status");
  auto node = api_.Get(res::kNodes, "", "node-a");
  EXPECT_EQ(ConditionOf(*node, "Ready", "status"), "False");
  EXPECT_EQ(ConditionOf(*node, "Ready", "reason"), "KubeletNotReady");
  EXPECT_EQ(ConditionOf(*node, "Ready", "message"),
            "container runtime is down: connection refused");
  EXPECT_EQ(ConditionOf(*node, "Ready", "lastTransitionTime"), "2026-01-01T00:00:20Z");
  // MemoryPressure did not change: its transition time stays.
  EXPECT_EQ(ConditionOf(*node, "MemoryPressure", "lastTransitionTime"), "2026-01-01T00:00:00Z");

  // Unchanged for five minutes: reported anyway, with a fresh heartbeat.
  for (int i = 0; i < 30; ++i) {
    clock_.Advance(std::chrono::seconds(10));
    api_.ClearCalls();
    reporter.Tick();
  }
  node = api_.Get(res::kNodes, "", "node-a");
  EXPECT_EQ(ConditionOf(*node, "Ready", "lastHeartbeatTime"), "2026-01-01T00:05:20Z");
  EXPECT_EQ(ConditionOf(*node, "Ready", "lastTransitionTime"), "2026-01-01T00:00:20Z");
}

TEST_F(NodeReporterTest, AdoptsAnExistingNodeAndRetriesWhenTheServerIsAway) {
  // A node left by an earlier run, with a label an administrator added.
  Json old = Json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a",
    "labels":{"kubernetes.io/hostname":"old","team":"blue"}}})");
  ASSERT_TRUE(api_.Create(res::kNodes, "", old));
  api_.FailNext("create", Error(Code::kUnavailable, "connection refused"));
  auto reporter = Reporter();
  reporter.Tick();
  EXPECT_FALSE(reporter.registered());
  clock_.Advance(std::chrono::seconds(1));
  reporter.Tick();
  ASSERT_TRUE(reporter.registered());
  auto node = api_.Get(res::kNodes, "", "node-a");
  EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], "node-a");
  EXPECT_EQ((*node)["metadata"]["labels"]["team"], "blue");
  EXPECT_EQ((*node)["metadata"]["labels"]["role"], "worker");
  EXPECT_EQ(ConditionOf(*node, "Ready", "status"), "True");

  // Deleted by an administrator: the next status update registers it again.
  ASSERT_TRUE(api_.Delete(res::kNodes, "", "node-a", 0));
  health_.disk_pressure = true;
  clock_.Advance(std::chrono::seconds(10));
  reporter.Tick();
  EXPECT_FALSE(reporter.registered());
  reporter.Tick();
  EXPECT_TRUE(reporter.registered());
  node = api_.Get(res::kNodes, "", "node-a");
  ASSERT_TRUE(node);
  EXPECT_EQ(ConditionOf(*node, "DiskPressure", "reason"), "KubeletHasDiskPressure");
}

TEST_F(NodeReporterTest, RecordsConditionEventsAsUpstreamsSetters) {
  std::vector<std::string> events;
  NodeReporterOptions options;
  options.record_event = [&](const std::string& reason, const std::string& message) {
    events.push_back(reason + ": " + message);
  };
  NodeReporter reporter(
      &api_, &clock_, Facts(), [this] { return health_; }, options);
  reporter.Tick();
  EXPECT_EQ(events,
            (std::vector<std::string>{
                "NodeHasSufficientMemory: Node node-a status is now: NodeHasSufficientMemory",
                "NodeHasNoDiskPressure: Node node-a status is now: NodeHasNoDiskPressure",
                "NodeHasSufficientPID: Node node-a status is now: NodeHasSufficientPID",
                "NodeReady: Node node-a status is now: NodeReady"}));
  events.clear();
  clock_.Advance(std::chrono::seconds(10));
  reporter.Tick();
  EXPECT_TRUE(events.empty());  // nothing changed
  health_.runtime_ready = false;
  clock_.Advance(std::chrono::seconds(10));
  reporter.Tick();
  EXPECT_EQ(events,
            std::vector<std::string>{"NodeNotReady: Node node-a status is now: NodeNotReady"});
}

TEST(MicroTime, SixFractionalDigits) {
  WallTime t = std::chrono::sys_days{std::chrono::year{2026} / 3 / 4} + std::chrono::hours(5) +
               std::chrono::microseconds(1234567);
  EXPECT_EQ(FormatMicroTime(t), "2026-03-04T05:00:01.234567Z");
}

}  // namespace
}  // namespace capstan::kubelet::nodestatus

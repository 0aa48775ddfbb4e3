// Stats through the CRI, as `crictl stats`, `crictl statsp` and `crictl metricsp` read them:
// a container's CPU and memory from its cgroup (compared with the cgroup's own files), its
// writable layer, the pod's cgroup, and the metric RPCs over the same figures.
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "integration/cri/cri_test_env.h"

namespace capstan::integration {
namespace {

class StatsTest : public CriTest {};

uint64_t ReadNumber(const std::string& path) {
  uint64_t v = 0;
  std::ifstream(path) >> v;
  return v;
}

TEST_F(StatsTest, ContainerAndPodStatsAgreeWithTheCgroupAndTheLayer) {
  CAPSTAN_REQUIRE_ROOT();
  std::string image = PullBusybox();
  v1::PodSandboxConfig pod;
  std::string pod_id = RunPod("stats", &pod);
  // 8 MiB into the writable layer, some CPU, then idle.
  std::string id =
      StartContainer(pod_id, pod,
                     ContainerConfig("c", image,
                                     {"sh", "-c",
                                      "dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; i=0; "
                                      "while [ $i -lt 100000 ]; do i=$((i+1)); done; touch /done; "
                                      "exec sleep 1000"}));
  bool done = false;
  for (int i = 0; i < 300 && !done; ++i) {
    done = Exec(id, {"test", "-e", "/done"}).exit_code() == 0;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(done);

  grpc::ClientContext ctx;
  v1::ContainerStatsRequest req;
  req.set_container_id(id);
  v1::ContainerStatsResponse resp;
  auto st = cri_->runtime().ContainerStats(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  const v1::ContainerStats& s = resp.stats();
  EXPECT_EQ(s.attributes().id(), id);
  EXPECT_EQ(s.attributes().metadata().name(), "c");
  uint64_t cpu = s.cpu().usage_core_nano_seconds().value();
  EXPECT_GT(cpu, 10'000'000u);  // the loop ran for well over 10 ms
  EXPECT_GE(s.writable_layer().used_bytes().value(), 8u << 20);
  EXPECT_GE(s.writable_layer().inodes_used().value(), 2u);  // /big and /done
  uint64_t working_set = s.memory().working_set_bytes().value();
  EXPECT_GT(working_set, 0u);
  EXPECT_LE(working_set, s.memory().usage_bytes().value());

  // What the kernel says, read right after (v1 here; v2 has the same figures in other files).
  std::string v1_cpu = "/sys/fs/cgroup/cpuacct" + cri_->cgroup_parent() + "/stats/" + id;
  std::string v1_memory = "/sys/fs/cgroup/memory" + cri_->cgroup_parent() + "/stats/" + id;
  if (std::ifstream(v1_cpu + "/cpuacct.usage").good()) {
    uint64_t kernel_cpu = ReadNumber(v1_cpu + "/cpuacct.usage");
    EXPECT_GE(kernel_cpu, cpu);
    EXPECT_LT(kernel_cpu - cpu, 50'000'000u);  // the container is idle now
    uint64_t kernel_usage = ReadNumber(v1_memory + "/memory.usage_in_bytes");
    uint64_t usage = s.memory().usage_bytes().value();
    EXPECT_LT(std::max(kernel_usage, usage) - std::min(kernel_usage, usage), 1u << 20)
        << kernel_usage << " vs " << usage;
  }

  grpc::ClientContext pod_ctx;
  v1::PodSandboxStatsRequest pod_req;
  pod_req.set_pod_sandbox_id(pod_id);
  v1::PodSandboxStatsResponse pod_resp;
  st = cri_->runtime().PodSandboxStats(&pod_ctx, pod_req, &pod_resp);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  const auto& linux = pod_resp.stats().linux();
  EXPECT_EQ(pod_resp.stats().attributes().id(), pod_id);
  EXPECT_GE(linux.cpu().usage_core_nano_seconds().value(), cpu);
  EXPECT_GT(linux.memory().working_set_bytes().value(), 0u);
  EXPECT_GE(linux.process().process_count().value(), 1u);
  ASSERT_EQ(linux.containers_size(), 1);
  EXPECT_EQ(linux.containers(0).attributes().id(), id);

  grpc::ClientContext list_ctx;
  v1::ListPodSandboxStatsRequest list_req;
  list_req.mutable_filter()->set_id(pod_id);
  v1::ListPodSandboxStatsResponse list_resp;
  ASSERT_TRUE(cri_->runtime().ListPodSandboxStats(&list_ctx, list_req, &list_resp).ok());
  EXPECT_EQ(list_resp.stats_size(), 1);

  // The metric RPCs: every metric named by a descriptor, with its labels.
  grpc::ClientContext d_ctx;
  v1::ListMetricDescriptorsResponse descriptors;
  st = cri_->runtime().ListMetricDescriptors(&d_ctx, v1::ListMetricDescriptorsRequest{},
                                             &descriptors);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  std::map<std::string, int> label_counts;
  for (const auto& d : descriptors.descriptors()) label_counts[d.name()] = d.label_keys_size();
  ASSERT_TRUE(label_counts.count("container_memory_working_set_bytes"));
  grpc::ClientContext m_ctx;
  v1::ListPodSandboxMetricsResponse metrics;
  st = cri_->runtime().ListPodSandboxMetrics(&m_ctx, v1::ListPodSandboxMetricsRequest{}, &metrics);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  ASSERT_EQ(metrics.pod_metrics_size(), 1);
  EXPECT_EQ(metrics.pod_metrics(0).pod_sandbox_id(), pod_id);
  ASSERT_EQ(metrics.pod_metrics(0).container_metrics_size(), 1);
  const auto& cm = metrics.pod_metrics(0).container_metrics(0);
  EXPECT_EQ(cm.container_id(), id);
  std::set<std::string> seen;
  for (const auto& m : cm.metrics()) {
    ASSERT_TRUE(label_counts.count(m.name())) << m.name();
    EXPECT_EQ(m.label_values_size(), label_counts[m.name()]) << m.name();
    seen.insert(m.name());
    if (m.name() == "container_fs_usage_bytes") {
      EXPECT_GE(m.value().value(), 8u << 20);
    }
  }
  EXPECT_TRUE(seen.count("container_cpu_usage_seconds_total"));
  EXPECT_TRUE(seen.count("container_memory_working_set_bytes"));
}

}  // namespace
}  // namespace capstan::integration

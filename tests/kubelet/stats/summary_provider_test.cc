// SummaryProvider over a stub runtime's CRI stats and a v1 fixture cgroup tree.
#include "kubelet/stats/summary_provider.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "common/file.h"
#include "common/testing/fake_clock.h"
#include "kubelet/kuberuntime/labels.h"

namespace capstan::kubelet::stats {
namespace {

namespace v1 = api::cri::v1;
using std::chrono::seconds;

// Running containers and their stats, as a CRI runtime reports them.
class StubRuntime : public api::cri::RuntimeService {
 public:
  struct Entry {
    std::string id, name, pod_uid;
    uint64_t cpu_ns = 0, working_set = 0;
    std::optional<uint64_t> nano_cores;
  };
  std::vector<Entry> containers;
  int stats_calls = 0;

  Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest&) override {
    v1::ListContainersResponse r;
    for (const auto& e : containers) {
      auto* c = r.add_containers();
      c->set_id(e.id);
      c->mutable_metadata()->set_name(e.name);
      c->set_state(v1::CONTAINER_RUNNING);
      c->set_created_at(1'767'225'600'000'000'000);
      (*c->mutable_labels())[kuberuntime::kPodUidLabel] = e.pod_uid;
    }
    return r;
  }
  Result<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest&) override {
    ++stats_calls;
    v1::ListContainerStatsResponse r;
    for (const auto& e : containers) {
      auto* s = r.add_stats();
      s->mutable_attributes()->set_id(e.id);
      s->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(e.cpu_ns);
      if (e.nano_cores) {
        s->mutable_cpu()->mutable_usage_nano_cores()->set_value(*e.nano_cores);
      }
      s->mutable_memory()->mutable_working_set_bytes()->set_value(e.working_set);
      s->mutable_memory()->mutable_usage_bytes()->set_value(e.working_set);
      s->mutable_writable_layer()->mutable_used_bytes()->set_value(4096);
      s->mutable_writable_layer()->mutable_inodes_used()->set_value(2);
    }
    return r;
  }
};

api::k8s::Pod MakePod(const std::string& name, const std::string& uid) {
  api::k8s::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.uid = uid;
  return p;
}

class SummaryProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/summary-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Write("cgroup/memory/memory.usage_in_bytes", "1000000\n");
    Write("cgroup/memory/memory.stat", "total_inactive_file 0\n");
    Write("cgroup/cpuacct/cpuacct.usage", "0\n");
    Write("proc/meminfo", "MemTotal: 4000 kB\nMemFree: 1000 kB\n");
    SetPodCgroup(0, 209715200);
    cgroups_ = std::make_unique<cadvisor::CgroupReader>(dir_ + "/cgroup");
    host_ = std::make_unique<cadvisor::HostReader>(cgroups_.get(), dir_ + "/proc");
    runtime_.containers = {{"c1", "app", "uid-a", 3'000'000'000, 100 << 20, std::nullopt},
                           {"c2", "side", "uid-a", 1'000'000'000, 50 << 20, 7},
                           {"c3", "solo", "uid-b", 2'000'000'000, 10 << 20, std::nullopt}};
    pods_ = {MakePod("a", "uid-a"), MakePod("b", "uid-b"), MakePod("idle", "uid-c")};

    SummaryProviderOptions o;
    o.node_name = "n1";
    o.root_dir = dir_;
    o.pod_logs_dir = dir_ + "/logs";
    o.kubepods_cgroup = "";
    SummaryProviderDeps d;
    d.clock = &clock_;
    d.runtime = &runtime_;
    d.cgroups = cgroups_.get();
    d.host = host_.get();
    d.pods = [this] { return pods_; };
    d.pod_cgroup = [](const api::k8s::Pod& p) {
      return p.metadata.uid == "uid-a" ? std::string("/kubepods/poduid-a") : std::string();
    };
    provider_ = std::make_unique<SummaryProvider>(o, d);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::path p = dir_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    ASSERT_TRUE(WriteFileAtomic(p, text, 0644));
  }
  void SetPodCgroup(uint64_t cpu_ns, uint64_t memory) {
    Write("cgroup/cpuacct/kubepods/poduid-a/cpuacct.usage", std::to_string(cpu_ns));
    Write("cgroup/memory/kubepods/poduid-a/memory.usage_in_bytes", std::to_string(memory));
    Write("cgroup/memory/kubepods/poduid-a/memory.stat", "total_inactive_file 0\n");
    Write("cgroup/pids/kubepods/poduid-a/pids.current", "3\n");
  }
  const cadvisor::PodStats* FindPod(const cadvisor::Summary& s, const std::string& uid) {
    for (const auto& p : s.pods) {
      if (p.uid == uid) {
        return &p;
      }
    }
    return nullptr;
  }

  testing::FakeClock clock_;
  std::string dir_;
  StubRuntime runtime_;
  std::vector<api::k8s::Pod> pods_;
  std::unique_ptr<cadvisor::CgroupReader> cgroups_;
  std::unique_ptr<cadvisor::HostReader> host_;
  std::unique_ptr<SummaryProvider> provider_;
};

TEST_F(SummaryProviderTest, PodsFromCgroupsContainersFromTheRuntime) {
  bool incomplete = true;
  auto s = provider_->Get(false, &incomplete);
  EXPECT_FALSE(incomplete);
  EXPECT_EQ(s.node.node_name, "n1");
  ASSERT_TRUE(s.node.memory);
  EXPECT_EQ(s.node.memory->working_set_bytes, 1000000u);
  ASSERT_EQ(s.pods.size(), 2u);  // the pod with nothing running is not measured
  const auto* a = FindPod(s, "uid-a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->containers.size(), 2u);
  EXPECT_EQ(a->memory->working_set_bytes, 209715200u);  // the pod cgroup, not the sum
  EXPECT_EQ(a->process_count, 3u);
  EXPECT_EQ(a->containers[0].memory->working_set_bytes, 100u << 20);
  EXPECT_EQ(a->containers[0].rootfs->used_bytes, 4096u);
  EXPECT_EQ(a->ephemeral_storage->used_bytes, 2 * 4096u);
  // One sample: no rate of our own yet; the runtime's own rate is passed through.
  EXPECT_EQ(a->containers[0].cpu->usage_nano_cores, std::nullopt);
  EXPECT_EQ(a->containers[1].cpu->usage_nano_cores, 7u);
  const auto* b = FindPod(s, "uid-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->memory->working_set_bytes, 10u << 20);  // no pod cgroup: its containers' sum
  EXPECT_EQ(b->cpu->usage_core_nano_seconds, 2'000'000'000u);
}

TEST_F(SummaryProviderTest, RatesFromTwoSamples) {
  provider_->Get(true);
  clock_.Advance(seconds(10));
  runtime_.containers[0].cpu_ns += 10'000'000'000;  // one core for 10 s
  SetPodCgroup(5'000'000'000, 209715200);           // half a core
  auto s = provider_->Get(true);
  const auto* a = FindPod(s, "uid-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->containers[0].cpu->usage_nano_cores, 1'000'000'000u);
  EXPECT_EQ(a->cpu->usage_nano_cores, 500'000'000u);
}

TEST_F(SummaryProviderTest, HousekeepingSamplesOnlyWhileSomeoneAsks) {
  provider_->Housekeep();
  EXPECT_EQ(runtime_.stats_calls, 0);  // never asked: nothing polled
  provider_->Get(true);
  clock_.Advance(seconds(10));
  provider_->Housekeep();
  EXPECT_EQ(runtime_.stats_calls, 2);
  clock_.Advance(std::chrono::minutes(6));
  provider_->Housekeep();
  EXPECT_EQ(runtime_.stats_calls, 2);  // nobody asked for 6 minutes
}

TEST_F(SummaryProviderTest, ARuntimeThatFailsMakesTheSummaryIncomplete) {
  class Failing : public StubRuntime {
    Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest&) override {
      return Fail(Code::kUnavailable, "runtime down");
    }
  } failing;
  SummaryProviderOptions o;
  o.node_name = "n1";
  SummaryProviderDeps d;
  d.clock = &clock_;
  d.runtime = &failing;
  d.pods = [this] { return pods_; };
  SummaryProvider p(o, d);
  bool incomplete = false;
  auto s = p.Get(true, &incomplete);
  EXPECT_TRUE(incomplete);
  EXPECT_TRUE(s.pods.empty());
}

TEST_F(SummaryProviderTest, LocalVolumesAreMeasuredAndCountAsEphemeralStorage) {
  api::k8s::Volume scratch;
  scratch.name = "scratch";
  scratch.empty_dir = api::k8s::EmptyDirVolumeSource{};
  api::k8s::Volume host;
  host.name = "host";
  host.host_path = api::k8s::HostPathVolumeSource{};
  pods_[1].spec.volumes = {scratch, host};
  std::string vol = "pods/uid-b/volumes/kubernetes.io~empty-dir/scratch/";
  Write(vol + "a", std::string(64 << 10, 'x'));
  Write(vol + "deep/b", std::string(64 << 10, 'y'));

  auto s = provider_->Get(false);
  const auto* b = FindPod(s, "uid-b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->volumes.size(), 1u);  // hostPath has no stats of its own
  EXPECT_EQ(b->volumes[0].name, "scratch");
  uint64_t used = b->volumes[0].fs.used_bytes.value_or(0);
  EXPECT_GE(used, 128u << 10);
  EXPECT_EQ(b->volumes[0].fs.inodes_used, 3u);  // a, deep, deep/b
  // The writable layer (4096 from the runtime), the logs (none) and the volume.
  EXPECT_EQ(b->ephemeral_storage->used_bytes, 4096 + used);

  // Walked at most once a minute: a file written now shows after the period.
  Write(vol + "c", std::string(64 << 10, 'z'));
  EXPECT_EQ(FindPod(provider_->Get(false), "uid-b")->volumes[0].fs.used_bytes, used);
  clock_.Advance(seconds(61));
  EXPECT_GT(FindPod(provider_->Get(false), "uid-b")->volumes[0].fs.used_bytes, used);
  EXPECT_TRUE(FindPod(provider_->Get(true), "uid-b")->volumes.empty());  // cpu and memory only
}

}  // namespace
}  // namespace capstan::kubelet::stats

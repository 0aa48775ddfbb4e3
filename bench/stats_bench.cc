// The CPU cost of the kubelet's stats: building the Summary for N pods (one container each)
// from a v1 cgroup fixture tree and a runtime answering CRI stats in memory, then encoding
// it as /stats/summary JSON and as /metrics/resource text. Prints CPU microseconds per
// build; cAdvisor is not a library one can call the same way, so its figure is the one
// bench/run_kubelet_bench.sh measures (the whole kubelet at rest) beside containerd's.
//   stats_bench [--pods 100] [--rounds 200]
#include <stdlib.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cadvisor-lite/metrics_text.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/stats/summary_provider.h"

namespace {

using namespace capstan;
namespace v1 = api::cri::v1;

double CpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// N running containers, one per pod, with CRI stats as capstan-cri answers them.
class BenchRuntime : public api::cri::RuntimeService {
 public:
  explicit BenchRuntime(int pods) : pods_(pods) {}
  Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest&) override {
    v1::ListContainersResponse r;
    for (int i = 0; i < pods_; ++i) {
      auto* c = r.add_containers();
      c->set_id("c" + std::to_string(i));
      c->mutable_metadata()->set_name("app");
      c->set_state(v1::CONTAINER_RUNNING);
      (*c->mutable_labels())[kubelet::kuberuntime::kPodUidLabel] = "uid" + std::to_string(i);
    }
    return r;
  }
  Result<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest&) override {
    v1::ListContainerStatsResponse r;
    for (int i = 0; i < pods_; ++i) {
      auto* s = r.add_stats();
      s->mutable_attributes()->set_id("c" + std::to_string(i));
      s->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(1000000ull * i);
      s->mutable_memory()->mutable_working_set_bytes()->set_value(1 << 20);
      s->mutable_writable_layer()->mutable_used_bytes()->set_value(4096);
    }
    return r;
  }

 private:
  int pods_;
};

}  // namespace

int main(int argc, char** argv) {
  int pods = 100, rounds = 200;
  CLI::App app{"stats_bench: the CPU cost of a stats Summary"};
  app.add_option("--pods", pods, "pods, one container each");
  app.add_option("--rounds", rounds, "summaries built");
  CLI11_PARSE(app, argc, argv);

  char tmpl[] = "/tmp/capstan-stats-bench-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string cg = dir + "/cgroup";
  Write(cg + "/memory/memory.usage_in_bytes", "1000000000\n");
  Write(cg + "/memory/memory.stat", "total_inactive_file 1000\ntotal_rss 5000\n");
  Write(cg + "/cpuacct/cpuacct.usage", "123456789\n");
  Write(dir + "/proc/meminfo", "MemTotal: 24000000 kB\nMemFree: 20000000 kB\n");
  Write(dir + "/proc/loadavg", "0.1 0.1 0.1 1/200 1\n");
  std::vector<api::k8s::Pod> pod_list;
  for (int i = 0; i < pods; ++i) {
    std::string p = "/kubepods/besteffort/poduid" + std::to_string(i);
    Write(cg + "/memory" + p + "/memory.usage_in_bytes", "1048576\n");
    Write(cg + "/memory" + p + "/memory.stat",
          "total_inactive_file 0\ntotal_rss 1048576\ntotal_pgfault 10\ntotal_pgmajfault 0\n");
    Write(cg + "/cpuacct" + p + "/cpuacct.usage", std::to_string(1000000 * i) + "\n");
    Write(cg + "/pids" + p + "/pids.current", "1\n");
    api::k8s::Pod pod;
    pod.metadata.name = "pod" + std::to_string(i);
    pod.metadata.namespace_ = "default";
    pod.metadata.uid = "uid" + std::to_string(i);
    pod_list.push_back(pod);
  }
  cadvisor::CgroupReader cgroups(cg);
  cadvisor::HostReader host(&cgroups, dir + "/proc");
  BenchRuntime runtime(pods);
  RealClock clock;
  kubelet::stats::SummaryProviderOptions o;
  o.node_name = "bench";
  o.root_dir = dir;
  o.pod_logs_dir = dir + "/logs";
  o.kubepods_cgroup = "/kubepods";
  kubelet::stats::SummaryProviderDeps d;
  d.clock = &clock;
  d.runtime = &runtime;
  d.cgroups = &cgroups;
  d.host = &host;
  d.pods = [&] { return pod_list; };
  d.pod_cgroup = [](const api::k8s::Pod& p) { return "/kubepods/besteffort/pod" + p.metadata.uid; };
  kubelet::stats::SummaryProvider provider(o, d);

  auto measure = [&](const char* what, auto&& fn) {
    fn();  // warm
    double t0 = CpuMicros();
    for (int i = 0; i < rounds; ++i) fn();
    double per = (CpuMicros() - t0) / rounds;
    std::printf("%-34s pods=%d cpu_us_per_build=%.0f\n", what, pods, per);
    return per;
  };
  double full = measure("summary (all fields)", [&] { provider.Get(false); });
  double cpu_mem = measure("summary (cpu and memory)", [&] { provider.Get(true); });
  measure("summary + /stats/summary JSON",
          [&] { (void)cadvisor::SummaryToJson(provider.Get(false)).dump(); });
  measure("summary + /metrics/resource text",
          [&] { (void)cadvisor::ResourceMetricsText(provider.Get(true), false); });
  // The kubelet builds one full summary every 10 s (eviction) and one cpu+memory summary per
  // scrape (every 15 s): its share of a core from stats alone.
  double share = (full / 10 + cpu_mem / 15) / 1e6 * 100;
  std::printf("kubelet stats share of one core at rest: %.4f%% (target < 1%%)\n", share);
  std::filesystem::remove_all(dir);
  return 0;
}

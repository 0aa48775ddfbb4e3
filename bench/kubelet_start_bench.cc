// kubelet_start_bench: how fast a kubelet turns static pod manifests into running containers,
// and what it costs at rest. Drives a running kubelet through its manifest directory and
// watches the runtime over CRI (bench/run_kubelet_bench.sh starts the daemons):
//   1. one pod: manifest written -> its container Running (repeated --rounds times);
//   2. --pods pods written at once -> each Running (p50/p99) and all Running;
//   3. those pods idle for --idle seconds: the kubelet's CPU time and RSS, and the node's
//      memory (kubelet + runtime daemon + per-container processes named --per-container-comm).
// Prints key=value figures for the wrapper script to compare.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/cri/runtime/v1/api.grpc.pb.h"

namespace {

namespace v1 = ::runtime::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string endpoint;
  std::string manifests;
  std::string image;
  std::string node = "bench-node";
  std::string per_container_comm;
  std::string name = "capstan";
  int pods = 30;
  int rounds = 5;
  int idle_seconds = 60;
  pid_t kubelet_pid = 0;
  pid_t runtime_pid = 0;
};

std::string PodManifest(const std::string& name, const std::string& image) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
         "\n  namespace: bench\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n"
         "  - name: app\n    image: " +
         image + "\n    imagePullPolicy: IfNotPresent\n    command: [\"sleep\", \"3600\"]\n";
}

void WriteManifest(const Options& o, const std::string& name) {
  std::string tmp = o.manifests + "/." + name + ".tmp";
  std::ofstream(tmp) << PodManifest(name, o.image);
  std::filesystem::rename(tmp, o.manifests + "/" + name + ".yaml");
}

// Pod name (without the node suffix) -> running containers.
std::map<std::string, int> RunningByPod(v1::RuntimeService::Stub& cri, const Options& o) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListContainersRequest req;
  req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  v1::ListContainersResponse resp;
  std::map<std::string, int> out;
  if (!cri.ListContainers(&ctx, req, &resp).ok()) {
    return out;
  }
  std::string suffix = "-" + o.node;
  for (const auto& c : resp.containers()) {
    auto it = c.labels().find("io.kubernetes.pod.name");
    if (it != c.labels().end() && it->second.ends_with(suffix)) {
      out[it->second.substr(0, it->second.size() - suffix.size())]++;
    }
  }
  return out;
}

int SandboxCount(v1::RuntimeService::Stub& cri) {
  grpc::ClientContext ctx;
  v1::ListPodSandboxResponse resp;
  cri.ListPodSandbox(&ctx, {}, &resp);
  return resp.items_size();
}

// Writes the manifests of `names` at once; returns each pod's seconds to Running.
std::vector<double> StartPods(v1::RuntimeService::Stub& cri, const Options& o,
                              const std::vector<std::string>& names, double* all_seconds) {
  auto t0 = Clock::now();
  for (const auto& n : names) {
    WriteManifest(o, n);
  }
  std::map<std::string, double> seen;
  while (seen.size() < names.size()) {
    auto running = RunningByPod(cri, o);
    double now = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& n : names) {
      if (!seen.count(n) && running.count(n)) {
        seen[n] = now;
      }
    }
    if (now > 120) {
      std::fprintf(stderr, "timeout: %zu of %zu pods running\n", seen.size(), names.size());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  *all_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> out;
  for (auto& [n, s] : seen) {
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RemovePods(v1::RuntimeService::Stub& cri, const Options& o,
                const std::vector<std::string>& names) {
  for (const auto& n : names) {
    std::filesystem::remove(o.manifests + "/" + n + ".yaml");
  }
  for (int i = 0; i < 6000 && (!RunningByPod(cri, o).empty() || SandboxCount(cri) > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A field (kB) of /proc/<pid>/<file>: VmRSS in status, Pss in smaps_rollup.
long ProcKb(pid_t pid, const std::string& file, const std::string& field) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/" + file));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return 0;
}
long RssKb(pid_t pid) { return ProcKb(pid, "status", "VmRSS"); }
// Proportional set size: shared pages (libraries, one static binary run 30 times) counted
// once across the processes that share them, so sums over processes are meaningful.
long PssKb(pid_t pid) { return ProcKb(pid, "smaps_rollup", "Pss"); }

// utime + stime in seconds.
double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream in(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; in >> s;) {
    f.push_back(s);
  }
  // Fields after ")" start at field 3 (state); utime is 14, stime 15.
  double ticks = std::stod(f.at(11)) + std::stod(f.at(12));
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long MemOfComm(const std::string& comm_prefix, long (*measure)(pid_t), int* count) {
  long total = 0;
  *count = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string n = e.path().filename();
    if (n.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::string comm = ReadFile(e.path().string() + "/comm");
    if (!comm_prefix.empty() && comm.rfind(comm_prefix, 0) == 0) {
      total += measure(std::stoi(n));
      ++*count;
    }
  }
  return total;
}

int Run(const Options& o) {
  auto channel = grpc::CreateChannel(o.endpoint, grpc::InsecureChannelCredentials());
  auto cri = v1::RuntimeService::NewStub(channel);

  // 1. One pod at a time.
  std::vector<double> single;
  for (int r = 0; r < o.rounds; ++r) {
    double all = 0;
    auto t = StartPods(*cri, o, {"single-" + std::to_string(r)}, &all);
    single.push_back(t.front());
    RemovePods(*cri, o, {"single-" + std::to_string(r)});
  }
  std::sort(single.begin(), single.end());
  std::printf("%s one_pod_median_s=%.3f one_pod_max_s=%.3f\n", o.name.c_str(),
              Percentile(single, 0.5), single.back());

  // 2. Many at once.
  std::vector<std::string> names;
  for (int i = 0; i < o.pods; ++i) {
    names.push_back("many-" + std::to_string(i));
  }
  double all = 0;
  auto times = StartPods(*cri, o, names, &all);
  std::printf("%s pods=%d all_running_s=%.3f pod_p50_s=%.3f pod_p99_s=%.3f\n", o.name.c_str(),
              o.pods, all, Percentile(times, 0.5), Percentile(times, 0.99));
  std::fflush(stdout);

  // 3. Idle.
  double cpu0 = CpuSeconds(o.kubelet_pid);
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_seconds));
  double cpu = CpuSeconds(o.kubelet_pid) - cpu0;
  int per_count = 0;
  long per_kb = MemOfComm(o.per_container_comm, RssKb, &per_count);
  long per_pss = MemOfComm(o.per_container_comm, PssKb, &per_count);
  long kubelet_kb = RssKb(o.kubelet_pid), kubelet_pss = PssKb(o.kubelet_pid);
  long runtime_kb = o.runtime_pid > 0 ? RssKb(o.runtime_pid) : 0;
  long runtime_pss = o.runtime_pid > 0 ? PssKb(o.runtime_pid) : 0;
  std::printf(
      "%s idle_s=%d kubelet_cpu_s=%.3f kubelet_cpu_pct=%.3f kubelet_rss_kb=%ld runtime_rss_kb=%ld "
      "per_container_rss_kb=%ld per_container_procs=%d node_rss_kb=%ld\n",
      o.name.c_str(), o.idle_seconds, cpu, 100.0 * cpu / o.idle_seconds, kubelet_kb, runtime_kb,
      per_kb, per_count, kubelet_kb + runtime_kb + per_kb);
  std::printf("%s kubelet_pss_kb=%ld runtime_pss_kb=%ld per_container_pss_kb=%ld node_pss_kb=%ld\n",
              o.name.c_str(), kubelet_pss, runtime_pss, per_pss,
              kubelet_pss + runtime_pss + per_pss);
  RemovePods(*cri, o, names);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kubelet_start_bench: manifest -> Running, and a kubelet at rest"};
  Options o;
  app.add_option("--endpoint", o.endpoint, "the runtime's CRI socket")->required();
  app.add_option("--manifests", o.manifests, "the kubelet's staticPodPath")->required();
  app.add_option("--image", o.image, "image present in the runtime")->required();
  app.add_option("--node", o.node, "the kubelet's node name");
  app.add_option("--pods", o.pods, "pods started at once");
  app.add_option("--rounds", o.rounds, "single-pod rounds");
  app.add_option("--idle", o.idle_seconds, "seconds the pods stay idle");
  app.add_option("--kubelet-pid", o.kubelet_pid)->required();
  app.add_option("--runtime-pid", o.runtime_pid);
  app.add_option(
      "--per-container-comm", o.per_container_comm,
      "process name prefix of per-container processes (capstan-monitor, containerd-shim)");
  app.add_option("--name", o.name, "label of this run's figures");
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}

// cri_start_bench: time of RunPodSandbox + CreateContainer + StartContainer for N pods over a
// CRI socket (image present, busybox sleep), then the daemon's RSS with those pods running
// and the RSS/PSS of the per-container processes. The same binary drives capstan-cri and
// containerd so that the client's own cost is identical on both sides.
//
//   cri_start_bench --endpoint unix:///run/capstan/cri.sock --image busybox --pods 20
//                   [--daemon-pid PID] [--per-container-comm capstan-monitor] [--name capstan]
//                   [--cgroup-parent /bench]

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/cri/runtime/v1/api.grpc.pb.h"

namespace v1 = ::runtime::v1;

namespace {

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return c;
}

// kB from a /proc/<pid>/status or smaps_rollup line.
long ReadKb(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::stol(line.substr(key.size()));
    }
  }
  return -1;
}

std::vector<pid_t> PidsByComm(const std::string& comm) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(e.path() / "comm");
    std::string c;
    std::getline(in, c);
    if (c == comm) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[idx];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CRI pod start benchmark"};
  std::string endpoint, image = "busybox", name = "runtime", comm, cgroup_parent = "/capstan-bench";
  int pods = 20;
  bool host_network = false;
  pid_t daemon_pid = 0;
  app.add_option("--endpoint", endpoint)->required();
  app.add_option("--image", image);
  app.add_option("--pods", pods);
  app.add_option("--daemon-pid", daemon_pid);
  app.add_option("--per-container-comm", comm);
  app.add_option("--name", name);
  app.add_option("--cgroup-parent", cgroup_parent);
  app.add_flag("--host-network", host_network, "pods use the node's network namespace");
  CLI11_PARSE(app, argc, argv);

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto rt = v1::RuntimeService::NewStub(channel);
  std::vector<double> ms;
  std::vector<std::string> sandboxes;
  std::string run_id = std::to_string(::getpid());
  for (int i = 0; i < pods; ++i) {
    v1::PodSandboxConfig pod;
    pod.mutable_metadata()->set_name("bench-" + run_id + "-" + std::to_string(i));
    pod.mutable_metadata()->set_namespace_("bench");
    pod.mutable_metadata()->set_uid("uid-" + run_id + "-" + std::to_string(i));
    pod.set_log_directory("/tmp/cri-bench-logs/" + run_id + "/" + std::to_string(i));
    pod.mutable_linux()->set_cgroup_parent(cgroup_parent + "/pod" + run_id + "-" +
                                           std::to_string(i));
    if (host_network) {
      pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
          v1::NODE);
    }
    v1::ContainerConfig ctr;
    ctr.mutable_metadata()->set_name("sleep");
    ctr.mutable_image()->set_image(image);
    ctr.add_command("sleep");
    ctr.add_command("3600");
    ctr.set_log_path("sleep.log");

    auto t0 = std::chrono::steady_clock::now();
    v1::RunPodSandboxRequest runp;
    *runp.mutable_config() = pod;
    v1::RunPodSandboxResponse runp_resp;
    auto st = rt->RunPodSandbox(Ctx().get(), runp, &runp_resp);
    if (!st.ok()) {
      std::fprintf(stderr, "RunPodSandbox: %s\n", st.error_message().c_str());
      return 1;
    }
    sandboxes.push_back(runp_resp.pod_sandbox_id());
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(runp_resp.pod_sandbox_id());
    *create.mutable_config() = ctr;
    *create.mutable_sandbox_config() = pod;
    v1::CreateContainerResponse create_resp;
    st = rt->CreateContainer(Ctx().get(), create, &create_resp);
    if (!st.ok()) {
      std::fprintf(stderr, "CreateContainer: %s\n", st.error_message().c_str());
      return 1;
    }
    v1::StartContainerRequest start;
    start.set_container_id(create_resp.container_id());
    v1::StartContainerResponse start_resp;
    st = rt->StartContainer(Ctx().get(), start, &start_resp);
    if (!st.ok()) {
      std::fprintf(stderr, "StartContainer: %s\n", st.error_message().c_str());
      return 1;
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("%s pod_start_ms median=%.2f p90=%.2f pods=%d host_network=%d\n", name.c_str(),
              Percentile(ms, 0.5), Percentile(ms, 0.9), pods, host_network ? 1 : 0);
  if (daemon_pid > 0) {
    std::printf("%s daemon_rss_kb=%ld pods=%d\n", name.c_str(),
                ReadKb("/proc/" + std::to_string(daemon_pid) + "/status", "VmRSS:"), pods);
  }
  if (!comm.empty()) {
    auto pids = PidsByComm(comm);
    long rss = 0, pss = 0;
    size_t live = 0;
    for (pid_t p : pids) {
      long r = ReadKb("/proc/" + std::to_string(p) + "/status", "VmRSS:");
      if (r < 0) {
        continue;  // a zombie
      }
      rss += r;
      pss += ReadKb("/proc/" + std::to_string(p) + "/smaps_rollup", "Pss:");
      ++live;
    }
    pids.resize(live);
    if (!pids.empty()) {
      std::printf("%s per_container_rss_kb=%ld per_container_pss_kb=%ld processes=%zu\n",
                  name.c_str(), rss / static_cast<long>(pids.size()),
                  pss / static_cast<long>(pids.size()), pids.size());
    }
  }
  for (const auto& id : sandboxes) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse sr;
    rt->StopPodSandbox(Ctx().get(), stop, &sr);
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse rr;
    rt->RemovePodSandbox(Ctx().get(), rm, &rr);
  }
  std::error_code ec;
  std::filesystem::remove_all("/tmp/cri-bench-logs/" + run_id, ec);
  return 0;
}

// streaming_bench: the cost of streaming through a CRI runtime, as kubectl and crictl see
// it. One pod runs busybox httpd serving a 256 MiB file; then
//   exec round trip: Exec RPC, SPDY upgrade, the streams, `echo`, its output and status,
//                    N times (p50, p90 in ms);
//   port-forward:    PortForward RPC, SPDY upgrade, GET of the file through a data stream
//                    (MiB/s).
// The same binary drives capstan-cri and containerd (bench/run_streaming_bench.sh), so the
// client's own cost is identical on both sides.
//
//   streaming_bench --endpoint unix:///run/capstan/cri.sock --image busybox --name capstan
//                   [--execs 200] [--mib 256] [--host-network]

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "api/cri/runtime/v1/api.grpc.pb.h"
#include "integration/cri/spdy_client.h"

namespace v1 = ::runtime::v1;
using capstan::integration::SpdyClient;
using Clock = std::chrono::steady_clock;

namespace {

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return c;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1) + 0.5)];
}

int Fail(const std::string& what, const grpc::Status& st) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), st.error_message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"streaming_bench"};
  std::string endpoint, image = "docker.io/library/busybox:latest", name = "runtime";
  int execs = 200, mib = 256;
  bool host_network = false;
  app.add_option("--endpoint", endpoint)->required();
  app.add_option("--image", image);
  app.add_option("--name", name);
  app.add_option("--execs", execs);
  app.add_option("--mib", mib);
  app.add_flag("--host-network", host_network);
  CLI11_PARSE(app, argc, argv);

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto rt = v1::RuntimeService::NewStub(channel);
  int port = 20000 + static_cast<int>(std::random_device{}() % 20000);

  v1::PodSandboxConfig pod;
  pod.mutable_metadata()->set_name("streaming-bench");
  pod.mutable_metadata()->set_namespace_("bench");
  pod.mutable_metadata()->set_uid("streaming-bench-uid");
  auto* ns = pod.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(v1::CONTAINER);
  if (host_network) ns->set_network(v1::NODE);
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = pod;
  v1::RunPodSandboxResponse ran;
  if (auto st = rt->RunPodSandbox(Ctx().get(), run, &ran); !st.ok()) return Fail("run pod", st);
  std::string pod_id = ran.pod_sandbox_id();

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(pod_id);
  *create.mutable_sandbox_config() = pod;
  auto* c = create.mutable_config();
  c->mutable_metadata()->set_name("web");
  c->mutable_image()->set_image(image);
  for (const char* a : {"sh", "-c"}) c->add_command(a);
  c->add_command("mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=" + std::to_string(mib) +
                 " 2>/dev/null && exec httpd -f -p " + std::to_string(port) + " -h /www");
  c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::CONTAINER);
  v1::CreateContainerResponse created;
  if (auto st = rt->CreateContainer(Ctx().get(), create, &created); !st.ok()) {
    return Fail("create", st);
  }
  std::string id = created.container_id();
  v1::StartContainerRequest start;
  start.set_container_id(id);
  v1::StartContainerResponse started;
  if (auto st = rt->StartContainer(Ctx().get(), start, &started); !st.ok()) {
    return Fail("start", st);
  }

  auto cleanup = [&] {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_id);
    v1::StopPodSandboxResponse stopped;
    rt->StopPodSandbox(Ctx().get(), stop, &stopped);
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod_id);
    v1::RemovePodSandboxResponse removed;
    rt->RemovePodSandbox(Ctx().get(), rm, &removed);
  };

  // One exec: RPC, upgrade, streams, output, status.
  auto exec_once = [&](std::vector<std::string> cmd, std::string* out) -> bool {
    v1::ExecRequest req;
    req.set_container_id(id);
    for (auto& a : cmd) req.add_cmd(a);
    req.set_stdout(true);
    req.set_stderr(true);
    v1::ExecResponse resp;
    if (!rt->Exec(Ctx().get(), req, &resp).ok()) return false;
    auto client = SpdyClient::Connect(resp.url(), {"v4.channel.k8s.io"});
    if (!client) return false;
    uint32_t error = (*client)->Open({{"streamtype", "error"}});
    uint32_t stdout_id = (*client)->Open({{"streamtype", "stdout"}});
    (*client)->Open({{"streamtype", "stderr"}});
    bool ok = (*client)->ReadUntil(
        [&] { return (*client)->finished.count(error) > 0 || (*client)->closed; });
    if (out) *out = (*client)->data[stdout_id];
    return ok;
  };

  // The file is written before httpd starts: wait for it to serve.
  bool serving = false;
  for (int i = 0; i < 600 && !serving; ++i) {
    std::string out;
    serving = exec_once({"sh", "-c", "netstat -ln | grep -q :" + std::to_string(port) + " && echo up"},
                        &out) &&
              out == "up\n";
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!serving) {
    std::fprintf(stderr, "httpd did not come up\n");
    cleanup();
    return 1;
  }

  std::vector<double> ms;
  for (int i = 0; i < execs; ++i) {
    std::string out;
    auto t0 = Clock::now();
    if (!exec_once({"echo", "hi"}, &out) || out != "hi\n") {
      std::fprintf(stderr, "exec %d failed (%s)\n", i, out.c_str());
      cleanup();
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }

  v1::PortForwardRequest pf;
  pf.set_pod_sandbox_id(pod_id);
  pf.add_port(port);
  v1::PortForwardResponse pf_resp;
  if (auto st = rt->PortForward(Ctx().get(), pf, &pf_resp); !st.ok()) {
    cleanup();
    return Fail("port-forward", st);
  }
  auto t0 = Clock::now();
  auto client = SpdyClient::Connect(pf_resp.url(), {"portforward.k8s.io"});
  if (!client) {
    std::fprintf(stderr, "port-forward upgrade: %s\n", client.error().message().c_str());
    cleanup();
    return 1;
  }
  std::string p = std::to_string(port);
  (*client)->Open({{"streamtype", "error"}, {"port", p}, {"requestid", "0"}});
  uint32_t data = (*client)->Open({{"streamtype", "data"}, {"port", p}, {"requestid", "0"}});
  (*client)->Send(data, "GET /big HTTP/1.0\r\n\r\n");
  (*client)->ReadUntil([&] { return (*client)->finished.count(data) > 0 || (*client)->closed; },
                       std::chrono::minutes(5));
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  size_t got = (*client)->data[data].size();
  cleanup();
  if (got < static_cast<size_t>(mib) << 20) {
    std::fprintf(stderr, "port-forward carried %zu bytes of %d MiB\n", got, mib);
    return 1;
  }
  std::printf("%s exec_p50_ms=%.2f exec_p90_ms=%.2f port_forward_mib_s=%.1f\n", name.c_str(),
              Percentile(ms, 0.5), Percentile(ms, 0.9), (got / 1048576.0) / seconds);
  return 0;
}

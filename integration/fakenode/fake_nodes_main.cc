// capstan-fake-nodes: registers Node objects and plays their kubelets (fake_node_agent.h),
// for the scheduler and controller tests and benchmarks. Not shipped.
//   capstan-fake-nodes --kubeconfig admin.kubeconfig --count 12 [--prefix fake-] ...
// Runs until SIGTERM or SIGINT; prints "ready" on stdout once every node is registered.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "api/k8s/client/rest_api_client.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "integration/fakenode/fake_node_agent.h"

int main(int argc, char** argv) {
  using namespace capstan;
  integration::FakeNodeOptions options;
  std::string kubeconfig;
  std::vector<std::string> labels;
  int64_t run_ms = options.run_time.count();
  int64_t lease_seconds = options.lease_renew_interval.count();
  CLI::App app{"capstan-fake-nodes: Node objects with a pretend kubelet, for tests"};
  app.add_option("--kubeconfig", kubeconfig, "credentials to reach the API server")->required();
  app.add_option("--count", options.count, "how many nodes")->capture_default_str();
  app.add_option("--prefix", options.prefix, "node names are <prefix><index>")
      ->capture_default_str();
  app.add_option("--first-index", options.first_index, "index of the first node")
      ->capture_default_str();
  app.add_option("--cpu", options.cpu, "capacity and allocatable cpu")->capture_default_str();
  app.add_option("--memory", options.memory, "capacity and allocatable memory")
      ->capture_default_str();
  app.add_option("--pods", options.pods, "how many pods a node takes")->capture_default_str();
  app.add_option("--label", labels, "key=value labels of every node");
  app.add_option("--run-ms", run_ms, "how long pods that end (Never, OnFailure) run")
      ->capture_default_str();
  app.add_option("--lease-seconds", lease_seconds, "lease renewal interval")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (const auto& l : labels) {
    auto eq = l.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "capstan-fake-nodes: --label %s: want key=value\n", l.c_str());
      return 2;
    }
    options.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  options.run_time = std::chrono::milliseconds(run_ms);
  options.lease_renew_interval = std::chrono::seconds(lease_seconds);
  BlockStopSignals();

  auto api = api::k8s::client::RestApiClient::FromKubeconfig(kubeconfig);
  auto watch_api = api::k8s::client::RestApiClient::FromKubeconfig(kubeconfig);
  if (!api || !watch_api) {
    std::fprintf(stderr, "capstan-fake-nodes: %s\n",
                 (api ? watch_api.error() : api.error()).message().c_str());
    return 1;
  }
  integration::FakeNodeAgent agent(api->get(), watch_api->get(), options);
  if (Status st = agent.Start(); !st) {
    std::fprintf(stderr, "capstan-fake-nodes: %s\n", st.error().message().c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  WaitForStopSignal();
  agent.Stop();
  return 0;
}

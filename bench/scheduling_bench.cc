// The scheduler and the workload controllers under load, against a capstan-server whose
// nodes are fake (bench/run_scheduling_bench.sh starts both):
//   --mode deployment: a Deployment of N replicas from create to every pod bound and to
//     every pod Ready, then a rolling update of it to the end (all pods replaced).
//   --mode throughput: P bare pods created by a few writers; pods bound per second from the
//     first create to the last binding.
// Watches pods with the client's reflector, so a figure ends when the event arrives, not
// at the next poll.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "api/k8s/client/reflector.h"
#include "api/k8s/client/rest_api_client.h"

namespace {

using namespace capstan;
namespace client = api::k8s::client;
namespace res = client::resources;
using Clock = std::chrono::steady_clock;
using client::Json;
const client::Resource kNamespaces{"", "v1", "namespaces", false};

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

bool Ready(const Json& pod) {
  for (const auto& c : pod["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

struct Counts {
  int bound = 0;
  int ready = 0;
  int total = 0;  // not terminating
};

// Waits on a reflector until `done` holds for what it holds, or `limit` passes.
class Waiter {
 public:
  void Notify() {
    std::lock_guard lock(mu_);
    ++version_;
    cv_.notify_all();
  }
  bool Until(const std::function<bool()>& done, std::chrono::seconds limit) {
    auto deadline = Clock::now() + limit;
    std::unique_lock lock(mu_);
    while (true) {
      uint64_t seen = version_;
      lock.unlock();
      if (done()) return true;
      lock.lock();
      if (!cv_.wait_until(lock, deadline, [&] { return version_ != seen; })) return false;
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t version_ = 0;
};

Counts CountPods(const client::Reflector& pods, const std::string& image) {
  Counts c;
  pods.ForEach([&](const Json& pod) {
    if (pod["metadata"].contains("deletionTimestamp")) return;
    if (!image.empty() && pod["spec"]["containers"][0].value("image", "") != image) return;
    ++c.total;
    if (!pod["spec"].value("nodeName", "").empty()) ++c.bound;
    if (Ready(pod)) ++c.ready;
  });
  return c;
}

Json PodTemplate(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "bench"}}}}},
          {"spec",
           {{"containers",
             {{{"name", "app"},
               {"image", image},
               {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}}}}}}}}};
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "scheduling_bench: %s\n", what.c_str());
  return 1;
}

int DeploymentRun(client::ApiClient* api, client::Reflector& pods, Waiter& waiter,
                  const std::string& ns, int replicas) {
  const std::string v1 = "127.0.0.1:5000/busybox:1.0", v2 = "127.0.0.1:5000/busybox:2.0";
  Json deployment = {{"apiVersion", "apps/v1"},
                     {"kind", "Deployment"},
                     {"metadata", {{"name", "bench"}, {"namespace", ns}}},
                     {"spec",
                      {{"replicas", replicas},
                       {"selector", {{"matchLabels", {{"app", "bench"}}}}},
                       {"template", PodTemplate(v1)}}}};
  auto start = Clock::now();
  if (auto made = api->Create(res::kDeployments, ns, deployment); !made) {
    return Fail(made.error().message());
  }
  Clock::time_point bound{}, ready{};
  bool ok = waiter.Until(
      [&] {
        Counts c = CountPods(pods, v1);
        if (c.bound >= replicas && bound == Clock::time_point{}) bound = Clock::now();
        return c.ready >= replicas;
      },
      std::chrono::seconds(300));
  if (!ok) return Fail("the Deployment did not come up within 300 s");
  ready = Clock::now();
  std::printf("deployment of %d: create -> all bound %.3f s, -> all Ready %.3f s\n", replicas,
              Seconds(start, bound), Seconds(start, ready));

  // A new image with the default strategy (maxSurge 25%, maxUnavailable 25%): done when
  // every pod runs it and is Ready and no old one is left.
  auto roll = Clock::now();
  Json patch = {
      {"spec", {{"template", {{"spec", {{"containers", {{{"name", "app"}, {"image", v2}}}}}}}}}}};
  if (auto p = api->Patch(res::kDeployments, ns, "bench", client::PatchType::kStrategic, patch, "");
      !p) {
    return Fail(p.error().message());
  }
  ok = waiter.Until(
      [&] {
        Counts all = CountPods(pods, "");
        Counts fresh = CountPods(pods, v2);
        return fresh.ready >= replicas && all.total == fresh.total;
      },
      std::chrono::seconds(300));
  if (!ok) return Fail("the rolling update did not finish within 300 s");
  std::printf("rolling update of %d: patch -> all replaced and Ready %.3f s\n", replicas,
              Seconds(roll, Clock::now()));
  return 0;
}

int ThroughputRun(const std::string& kubeconfig, client::Reflector& pods, Waiter& waiter,
                  const std::string& ns, int count, int writers) {
  auto start = Clock::now();
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      auto api = client::RestApiClient::FromKubeconfig(kubeconfig);
      if (!api) {
        failures += count;
        return;
      }
      for (int i = next++; i < count; i = next++) {
        Json pod = PodTemplate("127.0.0.1:5000/busybox:1.0");
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        pod["metadata"]["name"] = "p-" + std::to_string(i);
        if (!(*api)->Create(res::kPods, ns, pod)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto created = Clock::now();
  if (failures > 0) return Fail(std::to_string(failures.load()) + " creates failed");
  bool ok =
      waiter.Until([&] { return CountPods(pods, "").bound >= count; }, std::chrono::seconds(600));
  if (!ok) return Fail("the pods were not all bound within 600 s");
  auto done = Clock::now();
  std::printf("%d pods: created in %.3f s, all bound %.3f s after the first create: %.0f pods/s\n",
              count, Seconds(start, created), Seconds(start, done), count / Seconds(start, done));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig, mode = "deployment", ns = "bench";
  int replicas = 100, pods_count = 1000, writers = 4;
  CLI::App app{"capstan scheduler and controller benchmark (fake nodes)"};
  app.add_option("--kubeconfig", kubeconfig)->required();
  app.add_option("--mode", mode, "deployment or throughput")->capture_default_str();
  app.add_option("--replicas", replicas, "the Deployment's size")->capture_default_str();
  app.add_option("--pods", pods_count, "pods for the throughput run")->capture_default_str();
  app.add_option("--writers", writers, "client threads creating pods")->capture_default_str();
  app.add_option("--namespace", ns)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto api = client::RestApiClient::FromKubeconfig(kubeconfig);
  auto watch_api = client::RestApiClient::FromKubeconfig(kubeconfig);
  if (!api || !watch_api) return Fail((api ? watch_api.error() : api.error()).message());
  Json namespace_ = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
  if (auto made = (*api)->Create(kNamespaces, "", namespace_);
      !made && made.error().code() != Code::kAlreadyExists) {
    return Fail(made.error().message());
  }
  Waiter waiter;
  client::Reflector pods(watch_api->get(), res::kPods, ns, {}, [&] { waiter.Notify(); });
  pods.Start();
  if (!waiter.Until([&] { return pods.Synced(); }, std::chrono::seconds(30))) {
    return Fail("no pod list within 30 s");
  }
  int rc = mode == "throughput" ? ThroughputRun(kubeconfig, pods, waiter, ns, pods_count, writers)
                                : DeploymentRun(api->get(), pods, waiter, ns, replicas);
  pods.Stop();
  return rc;
}

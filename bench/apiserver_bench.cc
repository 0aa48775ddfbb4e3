// capstan-server under the load of a small cluster: 1,000 pods created, got, listed (all
// and by label) while 100 watchers follow them; then an hour of lease renewals from 100
// nodes compressed in time. Prints p50/p99 per operation, watch delivery latency, the
// server's RSS and the SQLite file size (run_apiserver_bench.sh runs it and the peer).
//
// apiserver_bench --kubeconfig FILE --pid PID --db FILE [--pods 1000] [--watchers 100]
//                 [--nodes 100] [--renewals-per-node 360]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "api/k8s/client/rest_client.h"
#include "common/pki/kubeconfig.h"

using namespace capstan;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Stats {
  std::vector<double> ms;
  void Add(double v) { ms.push_back(v); }
  double P(double q) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  }
};

void Print(const char* name, Stats& s) {
  std::printf("%-34s n=%-6zu p50=%8.2f ms  p99=%8.2f ms\n", name, s.ms.size(), s.P(0.50),
              s.P(0.99));
}

long RssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

long FileKb(const std::string& db) {
  long total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    auto size = std::filesystem::file_size(db + suffix, ec);
    if (!ec) total += static_cast<long>(size);
  }
  return total / 1024;
}

Json Pod(int i) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", "bench-" + std::to_string(i)},
            {"labels", {{"app", "bench"}, {"shard", std::to_string(i % 10)}}}}},
          {"spec", {{"containers", {{{"name", "app"}, {"image", "127.0.0.1:5000/busybox:1.0"}}}}}}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig, db;
  int pid = 0, pods = 1000, watchers = 100, nodes = 100, renewals = 360, writers = 4;
  CLI::App app{"capstan-server load benchmark"};
  app.add_option("--kubeconfig", kubeconfig)->required();
  app.add_option("--pid", pid, "the server's pid, for its RSS")->required();
  app.add_option("--db", db, "the server's SQLite file (for its size)");
  app.add_option("--pods", pods);
  app.add_option("--watchers", watchers);
  app.add_option("--nodes", nodes);
  app.add_option("--renewals-per-node", renewals, "360: one hour at one renewal per 10 s");
  app.add_option("--writers", writers, "client threads creating pods");
  CLI11_PARSE(app, argc, argv);

  auto kc = pki::ReadKubeconfig(kubeconfig);
  if (!kc) {
    std::fprintf(stderr, "%s\n", kc.error().message().c_str());
    return 1;
  }
  auto hostport = api::k8s::client::ParseServerUrl(kc->server);
  if (!hostport) return 1;
  api::k8s::client::RestConfig config;
  config.host = hostport->first;
  config.port = hostport->second;
  config.ca_pem = kc->ca_pem;
  config.client_cert_pem = kc->client_cert_pem;
  config.client_key_pem = kc->client_key_pem;
  config.bearer_token = kc->token;
  auto client = [&] { return std::move(*api::k8s::client::RestClient::Create(config)); };

  const std::string ns = "bench";
  client()->Do(
      "POST", "/api/v1/namespaces",
      Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}.dump());
  const std::string pods_path = "/api/v1/namespaces/" + ns + "/pods";
  long rss_idle = RssKb(pid);

  // Watchers first: each records when it saw each pod's ADDED.
  std::vector<Clock::time_point> created_at(pods);
  std::mutex seen_mu;
  Stats delivery;
  std::atomic<int> watchers_done{0};
  std::vector<std::thread> watch_threads;
  std::string rv;
  {
    auto list = client()->Do("GET", pods_path);
    rv = Json::parse(list->body)["metadata"]["resourceVersion"];
  }
  for (int w = 0; w < watchers; ++w) {
    watch_threads.emplace_back([&] {
      auto c = client();
      int seen = 0;
      c->Stream(
          pods_path + "?watch=true&resourceVersion=" + rv,
          [&](const std::string& line) {
            auto now = Clock::now();
            Json ev = Json::parse(line, nullptr, false);
            if (ev.is_object() && ev["type"] == "ADDED") {
              std::string name = ev["object"]["metadata"]["name"];
              int i = std::stoi(name.substr(6));
              std::lock_guard lock(seen_mu);
              delivery.Add(Ms(now - created_at[i]));
            }
            return ++seen < pods;
          },
          std::chrono::minutes(5));
      watchers_done++;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));

  Stats create, get, list_all, list_label;
  std::mutex stats_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int i = t; i < pods; i += writers) {
        auto start = Clock::now();
        {
          std::lock_guard lock(seen_mu);
          created_at[i] = start;
        }
        auto r = c->Do("POST", pods_path, Pod(i).dump());
        double ms = Ms(Clock::now() - start);
        if (!r || r->status != 201) std::fprintf(stderr, "create %d failed\n", i);
        std::lock_guard lock(stats_mu);
        create.Add(ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  long rss_pods = RssKb(pid);

  auto c = client();
  for (int i = 0; i < pods; ++i) {
    auto start = Clock::now();
    c->Do("GET", pods_path + "/bench-" + std::to_string(i));
    get.Add(Ms(Clock::now() - start));
  }
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    c->Do("GET", pods_path);
    list_all.Add(Ms(Clock::now() - start));
    start = Clock::now();
    c->Do("GET", pods_path + "?labelSelector=shard%3D3");
    list_label.Add(Ms(Clock::now() - start));
  }
  for (auto& t : watch_threads) t.join();
  long rss_watch = RssKb(pid);

  // Lease renewals: every node updates its Lease; `renewals` rounds of `nodes` updates.
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
  for (int n = 0; n < nodes; ++n) {
    Json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", "node-" + std::to_string(n)}}},
        {"spec", {{"holderIdentity", "node-" + std::to_string(n)}, {"leaseDurationSeconds", 40}}}};
    c->Do("POST", leases, lease.dump());
  }
  long db_before = db.empty() ? 0 : FileKb(db);
  Stats renew;
  auto renew_start = Clock::now();
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto c2 = client();
      for (int round = 0; round < renewals; ++round) {
        for (int n = t; n < nodes; n += writers) {
          std::string patch =
              Json{{"spec",
                    {{"renewTime", "2026-12-01T00:00:00.000000Z"}, {"leaseTransitions", round}}}}
                  .dump();
          auto start = Clock::now();
          c2->Do("PATCH", leases + "/node-" + std::to_string(n), patch,
                 "application/merge-patch+json");
          double ms = Ms(Clock::now() - start);
          std::lock_guard lock(stats_mu);
          renew.Add(ms);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double renew_seconds = std::chrono::duration<double>(Clock::now() - renew_start).count();

  std::printf("capstan-server: %d pods, %d watchers, %d writer threads\n", pods, watchers, writers);
  Print("create pod", create);
  Print("get pod", get);
  Print("list 1000 pods", list_all);
  Print("list by label (100 of 1000)", list_label);
  Print("watch delivery (create -> event)", delivery);
  Print("lease renewal (merge patch)", renew);
  std::printf("lease renewals: %zu in %.1f s (%.0f/s)\n", renew.ms.size(), renew_seconds,
              renew.ms.size() / renew_seconds);
  std::printf(
      "server RSS: idle %.1f MB, 1000 pods %.1f MB, after watches %.1f MB, after "
      "renewals %.1f MB\n",
      rss_idle / 1024.0, rss_pods / 1024.0, rss_watch / 1024.0, RssKb(pid) / 1024.0);
  if (!db.empty()) {
    std::printf("SQLite file: %.1f MB before renewals, %.1f MB after\n", db_before / 1024.0,
                FileKb(db) / 1024.0);
  }
  return 0;
}

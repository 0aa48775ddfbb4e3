// cni_bench: ADD and DEL latency of two CNI plugin sets (capstan's and the reference
// plugins) on the same bridge + host-local config, in the same run. Each set gets its own
// bridge, subnet and data dir; runs alternate between the sets so that noise from other load
// on the machine hits both alike. Prints medians and p90s and the ratio capstan/reference.
//
//   cni_bench --capstan DIR --reference DIR [--runs 50] [--ip-masq]
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/process.h"

namespace {

using Clock = std::chrono::steady_clock;

struct PluginSet {
  std::string label;
  std::string bin_dir;
  std::string bridge;
  std::string subnet;
  std::string data_dir;
  std::string conf;
  std::vector<double> add_ms, del_ms;
};

std::string Conf(const PluginSet& s, bool ip_masq) {
  return "{\"cniVersion\":\"1.0.0\",\"name\":\"cnibench\",\"type\":\"bridge\",\"bridge\":\"" +
         s.bridge + "\",\"isGateway\":true,\"ipMasq\":" + (ip_masq ? "true" : "false") +
         ",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" + s.subnet + "\",\"dataDir\":\"" +
         s.data_dir + "\"}}";
}

bool Sh(const std::vector<std::string>& argv) {
  capstan::SpawnOptions o;
  o.argv = argv;
  auto r = capstan::RunCommand(o, std::chrono::seconds(30));
  return r && r->exit_code == 0;
}

// One plugin invocation, timed from fork to exit.
double Invoke(const PluginSet& s, const std::string& cmd, const std::string& id,
              const std::string& netns, bool* ok) {
  capstan::SpawnOptions o;
  o.argv = {s.bin_dir + "/bridge"};
  o.env = std::vector<std::string>{"CNI_COMMAND=" + cmd,    "CNI_CONTAINERID=" + id,
                                   "CNI_NETNS=" + netns,    "CNI_IFNAME=eth0",
                                   "CNI_PATH=" + s.bin_dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  o.stdin_data = s.conf;
  auto t0 = Clock::now();
  auto r = capstan::RunCommand(o, std::chrono::seconds(30));
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  *ok = r && r->exit_code == 0;
  if (!*ok) {
    std::fprintf(stderr, "%s %s %s failed: %s\n", s.label.c_str(), cmd.c_str(), id.c_str(),
                 r ? (r->out + r->err).c_str() : r.error().message().c_str());
  }
  return ms;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cni_bench: bridge + host-local ADD/DEL latency, capstan vs reference"};
  std::string capstan_dir, reference_dir;
  int runs = 50;
  bool ip_masq = false;
  app.add_option("--capstan", capstan_dir, "capstan's plugin dir (build/bin/cni)")->required();
  app.add_option("--reference", reference_dir, "the reference plugins (/usr/lib/cni)");
  app.add_option("--runs", runs, "pods per set");
  app.add_flag("--ip-masq", ip_masq, "also set ipMasq (nftables / iptables rules)");
  CLI11_PARSE(app, argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "cni_bench needs root (network namespaces, bridges)\n");
    return 2;
  }
  char tmpl[] = "/tmp/cni-bench-XXXXXX";
  std::string work = ::mkdtemp(tmpl);
  std::string tag = std::to_string(::getpid() % 100000);
  std::vector<PluginSet> sets;
  sets.push_back({"capstan", capstan_dir, "cbc" + tag, "10.197.0.0/16", work + "/capstan"});
  if (!reference_dir.empty()) {
    sets.push_back({"reference", reference_dir, "cbr" + tag, "10.196.0.0/16", work + "/reference"});
  }
  for (auto& s : sets) {
    s.conf = Conf(s, ip_masq);
  }

  // Namespaces are made before timing starts: the runtime makes them, not the plugin.
  std::vector<std::string> netns;
  for (size_t k = 0; k < sets.size(); ++k) {
    for (int i = 0; i < runs; ++i) {
      std::string name = "cnib" + tag + "-" + std::to_string(k) + "-" + std::to_string(i);
      if (!Sh({"/usr/sbin/ip", "netns", "add", name})) {
        std::fprintf(stderr, "ip netns add %s failed\n", name.c_str());
        return 1;
      }
      netns.push_back(name);
    }
  }
  auto ns_path = [&](size_t k, int i) { return "/run/netns/" + netns[k * runs + i]; };
  // One warm-up pod per set creates the bridge (a one-time cost, as on a real node).
  bool ok = true;
  for (size_t k = 0; k < sets.size(); ++k) {
    Invoke(sets[k], "ADD", "warmup", ns_path(k, 0), &ok);
    Invoke(sets[k], "DEL", "warmup", ns_path(k, 0), &ok);
  }
  int failures = 0;
  for (int i = 0; i < runs; ++i) {
    for (size_t k = 0; k < sets.size(); ++k) {
      sets[k].add_ms.push_back(
          Invoke(sets[k], "ADD", "pod" + std::to_string(i), ns_path(k, i), &ok));
      failures += ok ? 0 : 1;
    }
  }
  for (int i = 0; i < runs; ++i) {
    for (size_t k = 0; k < sets.size(); ++k) {
      sets[k].del_ms.push_back(
          Invoke(sets[k], "DEL", "pod" + std::to_string(i), ns_path(k, i), &ok));
      failures += ok ? 0 : 1;
    }
  }
  for (const auto& n : netns) {
    Sh({"/usr/sbin/ip", "netns", "del", n});
  }
  for (const auto& s : sets) {
    Sh({"/usr/sbin/ip", "link", "del", s.bridge});
  }
  std::filesystem::remove_all(work);

  std::printf("cni_bench: bridge + host-local, %d pods per set, ipMasq=%s\n", runs,
              ip_masq ? "true" : "false");
  for (const auto& s : sets) {
    std::printf(
        "%-10s add_median_ms=%.2f add_p90_ms=%.2f del_median_ms=%.2f del_p90_ms=%.2f "
        "add_del_median_ms=%.2f\n",
        s.label.c_str(), Percentile(s.add_ms, 0.5), Percentile(s.add_ms, 0.9),
        Percentile(s.del_ms, 0.5), Percentile(s.del_ms, 0.9),
        Percentile(s.add_ms, 0.5) + Percentile(s.del_ms, 0.5));
  }
  if (sets.size() == 2) {
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
    const auto& c = sets[0];
    const auto& r = sets[1];
    std::printf("ratio capstan/reference (lower is better): add=%.3f del=%.3f add+del=%.3f\n",
                ratio(Percentile(c.add_ms, 0.5), Percentile(r.add_ms, 0.5)),
                ratio(Percentile(c.del_ms, 0.5), Percentile(r.del_ms, 0.5)),
                ratio(Percentile(c.add_ms, 0.5) + Percentile(c.del_ms, 0.5),
                      Percentile(r.add_ms, 0.5) + Percentile(r.del_ms, 0.5)));
  }
  if (failures > 0) {
    std::fprintf(stderr, "%d plugin invocations failed\n", failures);
    return 1;
  }
  return 0;
}

// The plugin executables as a runtime runs them, without root: error results and exit codes
// for bad input, VERSION, and host-local under 50 concurrent ADDs and DELs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/process.h"

namespace capstan::cni {
namespace {

using nlohmann::json;

struct Out {
  int exit_code;
  json j;
  std::string raw;
};

Out Exec(const std::string& plugin, std::vector<std::string> env, const std::string& stdin_data) {
  SpawnOptions o;
  o.argv = {std::string(CAPSTAN_CNI_BIN_DIR) + "/" + plugin};
  env.push_back(std::string("CNI_PATH=") + CAPSTAN_CNI_BIN_DIR);
  o.env = env;
  o.stdin_data = stdin_data;
  auto r = RunCommand(o, std::chrono::seconds(30));
  EXPECT_TRUE(r) << r.error().ToString();
  Out out{r->exit_code, json::parse(r->out, nullptr, false), r->out};
  return out;
}

const std::vector<std::string> kAddEnv = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1",
                                          "CNI_NETNS=/run/netns/none", "CNI_IFNAME=eth0"};

TEST(PluginExec, EveryPluginAnswersVersion) {
  for (const char* p : {"bridge", "host-local", "loopback", "portmap"}) {
    Out o = Exec(p, {"CNI_COMMAND=VERSION"}, R"({"cniVersion":"1.0.0"})");
    EXPECT_EQ(o.exit_code, 0) << p;
    EXPECT_EQ(o.j["cniVersion"], "1.0.0") << p;
    EXPECT_EQ(o.j["supportedVersions"].size(), 5u) << p;
  }
  Out bad = Exec("capstan-cni", {"CNI_COMMAND=VERSION"}, "");
  EXPECT_EQ(bad.exit_code, 2);  // not run through a plugin's name
}

TEST(PluginExec, BadInputGetsTheSpecCodes) {
  struct Case {
    std::string plugin;
    std::vector<std::string> env;
    std::string config;
    int code;
  } cases[] = {
      {"bridge", {"CNI_COMMAND=ADD", "CNI_NETNS=/x", "CNI_IFNAME=eth0"}, "{}", 4},
      {"bridge", {"CNI_CONTAINERID=c1"}, "{}", 4},
      {"loopback", kAddEnv, "{not json", 6},
      {"bridge", kAddEnv, R"({"cniVersion": "0.1.0", "name": "n", "type": "bridge"})", 1},
      {"host-local", kAddEnv, R"({"cniVersion": "2.0.0", "name": "n"})", 1},
      {"bridge", kAddEnv, R"({"cniVersion": "1.0.0", "name": "n/../x", "type": "bridge"})", 7},
      {"bridge", kAddEnv,
       R"({"cniVersion": "1.0.0", "name": "n", "hairpinMode": true, "promiscMode": true})", 7},
      {"host-local", kAddEnv,
       R"({"cniVersion": "1.0.0", "name": "n", "ipam": {"subnet": "10.0.0.1/8"}})", 7},
      {"bridge", kAddEnv, R"({"cniVersion": "1.0.0", "name": "n", "mtu": "big"})", 6},
      {"portmap", kAddEnv, R"({"cniVersion": "1.0.0", "name": "n", "conditionsV4": ["-s"]})", 2},
  };
  for (const auto& c : cases) {
    Out o = Exec(c.plugin, c.env, c.config);
    EXPECT_NE(o.exit_code, 0) << c.plugin << " " << c.config;
    ASSERT_TRUE(o.j.is_object()) << o.raw;
    EXPECT_EQ(o.j["code"], c.code) << c.plugin << " " << c.config << " -> " << o.raw;
    EXPECT_TRUE(o.j["msg"].is_string());
    EXPECT_TRUE(o.j.contains("cniVersion"));
  }
}

// host-local's lock: concurrent ADDs from separate processes never share an address, and
// concurrent DELs release them all.
TEST(PluginExec, FiftyConcurrentAddsGetDistinctAddresses) {
  char tmpl[] = "/tmp/capstan-hl-conc-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  json conf{{"cniVersion", "1.0.0"},
            {"name", "concnet"},
            {"type", "bridge"},
            {"ipam", {{"type", "host-local"}, {"subnet", "10.199.200.0/24"}, {"dataDir", dir}}}};
  constexpr int kN = 50;
  std::vector<std::string> ips(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      Out o = Exec("host-local",
                   {"CNI_COMMAND=ADD", "CNI_CONTAINERID=pod" + std::to_string(i),
                    "CNI_NETNS=/run/netns/none", "CNI_IFNAME=eth0"},
                   conf.dump());
      if (o.exit_code == 0) {
        ips[i] = o.j["ips"][0]["address"];
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> distinct(ips.begin(), ips.end());
  distinct.erase("");
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kN));
  threads.clear();
  std::vector<int> rcs(kN, -1);
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      rcs[i] =
          Exec("host-local",
               {"CNI_COMMAND=DEL", "CNI_CONTAINERID=pod" + std::to_string(i), "CNI_IFNAME=eth0"},
               conf.dump())
              .exit_code;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(std::count(rcs.begin(), rcs.end(), 0), kN);
  int left = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/concnet")) {
    std::string n = e.path().filename();
    left += (n != "lock" && n.rfind("last_reserved_ip", 0) != 0) ? 1 : 0;
  }
  EXPECT_EQ(left, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace capstan::cni

// The plugins on the real kernel, in namespaces of the test's own. Tests parameterized on the
// implementation run against capstan's plugins and the reference ones (the conformance part:
// both must behave alike); the rest cover what only capstan's have (nftables rules, STATUS,
// GC) or what the issue asks of them.
#include <filesystem>
#include <set>

#include "cni-plugins/lib/nft.h"
#include "integration/cni/cni_it_util.h"

namespace capstan::integration::cni {
namespace {

class CniPluginConformance : public CniTestBase, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    CniTestBase::SetUp();
    if (IsSkipped()) {
      return;
    }
    if (GetParam() == "reference" && !ReferencePluginsInstalled()) {
      GTEST_SKIP() << "the reference plugins are not installed (containernetworking-plugins)";
    }
    bin_ = GetParam() == "capstan" ? CapstanCniDir() : ReferenceCniDir();
  }
  PluginRun Bridge(const std::string& cmd, const std::string& id, const std::string& netns,
                   const json& conf) {
    return RunPlugin(bin_, "bridge", cmd, id, netns, conf);
  }
  std::string bin_;
};

TEST_P(CniPluginConformance, TwoPodsReachEachOtherAndTheHost) {
  TestNetns& a = NewNetns();
  TestNetns& b = NewNetns();
  json conf = BridgeConf();
  PluginRun ra = Bridge("ADD", "pod-a", a.path(), conf);
  ASSERT_EQ(ra.exit_code, 0) << ra.raw << ra.err;
  PluginRun rb = Bridge("ADD", "pod-b", b.path(), conf);
  ASSERT_EQ(rb.exit_code, 0) << rb.raw << rb.err;
  std::string ip_a = FirstIp(ra.out), ip_b = FirstIp(rb.out);
  ASSERT_NE(ip_a, ip_b);
  EXPECT_EQ(ip_a.rfind(subnet_prefix_ + ".", 0), 0u) << ip_a;
  EXPECT_EQ(ra.out["ips"][0]["gateway"], Gateway());
  ASSERT_EQ(ra.out["interfaces"].size(), 3u);
  EXPECT_EQ(ra.out["interfaces"][2]["sandbox"], a.path());

  TcpServer in_a(a.path(), ip_a, 8080, "from-a");
  ASSERT_TRUE(in_a.ok());
  EXPECT_EQ(TcpRequest(b.path(), ip_a, 8080), "from-a");
  EXPECT_EQ(TcpRequest("", ip_a, 8080), "from-a");  // the host reaches the pod
  TcpServer on_host("", Gateway(), 18081, "from-host");
  ASSERT_TRUE(on_host.ok());
  EXPECT_EQ(TcpRequest(b.path(), Gateway(), 18081), "from-host");  // the pod reaches the host

  EXPECT_EQ(AllocationCount(), 2);
  EXPECT_EQ(Bridge("DEL", "pod-a", a.path(), conf).exit_code, 0);
  EXPECT_EQ(Bridge("DEL", "pod-b", b.path(), conf).exit_code, 0);
  EXPECT_EQ(AllocationCount(), 0);
  EXPECT_EQ(TcpRequest(b.path(), ip_a, 8080, 500), "");
  // DEL is idempotent.
  EXPECT_EQ(Bridge("DEL", "pod-a", a.path(), conf).exit_code, 0);
}

TEST_P(CniPluginConformance, DelSucceedsAfterTheNetnsIsGone) {
  TestNetns& a = NewNetns();
  json conf = BridgeConf();
  PluginRun r = Bridge("ADD", "pod-a", a.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  std::string host_veth = r.out["interfaces"][1]["name"];
  std::string netns = a.path();
  a.Delete();
  PluginRun del = Bridge("DEL", "pod-a", netns, conf);
  EXPECT_EQ(del.exit_code, 0) << del.raw << del.err;
  EXPECT_EQ(AllocationCount(), 0);
  // Without a namespace at all (CNI_NETNS empty) too.
  EXPECT_EQ(Bridge("DEL", "pod-a", "", conf).exit_code, 0);
  // The kernel destroys the pair with the namespace.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = Sh({"/usr/sbin/ip", "link", "show", host_veth}) != 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << host_veth;
}

TEST_P(CniPluginConformance, CheckDetectsARemovedAddress) {
  TestNetns& a = NewNetns();
  json conf = BridgeConf("1.0.0");
  PluginRun r = Bridge("ADD", "pod-a", a.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  json check = conf;
  check["prevResult"] = r.out;
  PluginRun ok = Bridge("CHECK", "pod-a", a.path(), check);
  EXPECT_EQ(ok.exit_code, 0) << ok.raw << ok.err;
  std::string addr = r.out["ips"][0]["address"];
  ASSERT_EQ(Sh({"/usr/sbin/ip", "-n", a.name(), "addr", "del", addr, "dev", "eth0"}), 0);
  PluginRun bad = Bridge("CHECK", "pod-a", a.path(), check);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(bad.out.is_object() && bad.out.contains("code")) << bad.raw;
  EXPECT_EQ(Bridge("DEL", "pod-a", a.path(), conf).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Implementations, CniPluginConformance,
                         ::testing::Values("capstan", "reference"),
                         [](const auto& info) { return info.param; });

class CapstanPlugins : public CniTestBase {
 protected:
  PluginRun Bridge(const std::string& cmd, const std::string& id, const std::string& netns,
                   const json& conf) {
    return RunPlugin(CapstanCniDir(), "bridge", cmd, id, netns, conf);
  }
  bool TableExists(const std::string& family, const std::string& prefix, const std::string& id) {
    std::string out;
    Sh({"/usr/sbin/nft", "list", "tables", family}, &out);
    std::string name = capstan::cni::AttachmentTable(prefix, net_name_, id, "eth0");
    return out.find(name) != std::string::npos;
  }
};

TEST_F(CapstanPlugins, MasqueradeRuleLivesExactlyAsLongAsThePod) {
  TestNetns& a = NewNetns();
  json conf = BridgeConf();
  conf["ipMasq"] = true;
  PluginRun r = Bridge("ADD", "pod-a", a.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  std::string table = capstan::cni::AttachmentTable("capstan_masq_", net_name_, "pod-a", "eth0");
  std::string listing;
  ASSERT_EQ(Sh({"/usr/sbin/nft", "list", "table", "inet", table}, &listing), 0);
  EXPECT_NE(listing.find("ip saddr " + FirstIp(r.out) + " ip daddr != { " + Subnet() +
                         ", 224.0.0.0/4 } masquerade"),
            std::string::npos)
      << listing;
  EXPECT_NE(listing.find("hook postrouting"), std::string::npos);
  ASSERT_EQ(Bridge("DEL", "pod-a", a.path(), conf).exit_code, 0);
  EXPECT_NE(Sh({"/usr/sbin/nft", "list", "table", "inet", table}), 0);
  EXPECT_EQ(Bridge("DEL", "pod-a", a.path(), conf).exit_code, 0);
}

TEST_F(CapstanPlugins, MacSpoofCheckMtuAndTheRequestedMac) {
  TestNetns& a = NewNetns();
  TestNetns& b = NewNetns();
  json conf = BridgeConf();
  conf["macspoofchk"] = true;
  conf["mtu"] = 1400;
  conf["promiscMode"] = true;
  conf["runtimeConfig"] = json{{"mac", "02:00:00:00:42:01"}};
  PluginRun ra = Bridge("ADD", "a", a.path(), conf);
  ASSERT_EQ(ra.exit_code, 0) << ra.raw;
  conf.erase("runtimeConfig");
  PluginRun rb = Bridge("ADD", "b", b.path(), conf);
  ASSERT_EQ(rb.exit_code, 0) << rb.raw;
  EXPECT_EQ(ra.out["interfaces"][2]["mac"], "02:00:00:00:42:01");
  std::string link;
  Sh({"/usr/sbin/ip", "-n", a.name(), "link", "show", "eth0"}, &link);
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  EXPECT_TRUE(TableExists("bridge", "capstan_mac_", "a"));
  std::string ip_b = FirstIp(rb.out);
  TcpServer s(b.path(), ip_b, 8080, "b");
  EXPECT_EQ(TcpRequest(a.path(), ip_b, 8080), "b");
  // Another source MAC from pod a's port is dropped.
  ASSERT_EQ(
      Sh({"/usr/sbin/ip", "-n", a.name(), "link", "set", "eth0", "address", "02:00:00:00:42:99"}),
      0);
  Sh({"/usr/sbin/ip", "-n", a.name(), "neigh", "flush", "all"});
  Sh({"/usr/sbin/ip", "-n", b.name(), "neigh", "flush", "all"});
  EXPECT_EQ(TcpRequest(a.path(), ip_b, 8080, 1500), "");
  ASSERT_EQ(Bridge("DEL", "a", a.path(), conf).exit_code, 0);
  EXPECT_FALSE(TableExists("bridge", "capstan_mac_", "a"));
  EXPECT_TRUE(TableExists("bridge", "capstan_mac_", "b"));
}

TEST_F(CapstanPlugins, HostPortForwardsToThePod) {
  TestNetns& a = NewNetns();
  TestNetns& b = NewNetns();
  json conf = BridgeConf();
  conf["hairpinMode"] = true;
  PluginRun r = Bridge("ADD", "pod-a", a.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  ASSERT_EQ(Bridge("ADD", "pod-b", b.path(), conf).exit_code, 0);
  int host_port = 20000 + (std::stoi(subnet_prefix_.substr(7)) * 37) % 20000;
  json pm{
      {"cniVersion", "1.0.0"},
      {"name", net_name_},
      {"type", "portmap"},
      {"runtimeConfig",
       {{"portMappings", {{{"hostPort", host_port}, {"containerPort", 80}, {"protocol", "tcp"}}}}}},
      {"prevResult", r.out}};
  PluginRun p = RunPlugin(CapstanCniDir(), "portmap", "ADD", "pod-a", a.path(), pm);
  ASSERT_EQ(p.exit_code, 0) << p.raw;
  EXPECT_EQ(p.out["ips"], r.out["ips"]);  // prevResult passed on
  TcpServer web(a.path(), "0.0.0.0", 80, "web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(TcpRequest("", "127.0.0.1", host_port), "web");      // localhost
  EXPECT_EQ(TcpRequest("", Gateway(), host_port), "web");        // the host's bridge IP
  EXPECT_EQ(TcpRequest(b.path(), Gateway(), host_port), "web");  // another pod
  EXPECT_EQ(TcpRequest(a.path(), Gateway(), host_port), "web");  // hairpin
  json check = pm;
  EXPECT_EQ(RunPlugin(CapstanCniDir(), "portmap", "CHECK", "pod-a", a.path(), check).exit_code, 0);
  ASSERT_EQ(RunPlugin(CapstanCniDir(), "portmap", "DEL", "pod-a", a.path(), pm).exit_code, 0);
  EXPECT_FALSE(TableExists("inet", "capstan_pm_", "pod-a"));
  EXPECT_EQ(TcpRequest("", "127.0.0.1", host_port, 300), "");
  EXPECT_NE(RunPlugin(CapstanCniDir(), "portmap", "CHECK", "pod-a", a.path(), check).exit_code, 0);
}

TEST_F(CapstanPlugins, FiftyConcurrentAddsGetDistinctAddressesAndDelsReleaseThem) {
  constexpr int kPods = 50;
  std::vector<TestNetns*> ns;
  for (int i = 0; i < kPods; ++i) {
    ns.push_back(&NewNetns());
  }
  json conf = BridgeConf();
  std::vector<PluginRun> adds(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back(
        [&, i] { adds[i] = Bridge("ADD", "pod" + std::to_string(i), ns[i]->path(), conf); });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> ips;
  for (const auto& r : adds) {
    EXPECT_EQ(r.exit_code, 0) << r.raw << r.err;
    ips.insert(FirstIp(r.out));
  }
  ips.erase("");
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(AllocationCount(), kPods);
  // Every pod is really there: the last one reaches the first.
  TcpServer first(ns[0]->path(), FirstIp(adds[0].out), 7000, "first");
  EXPECT_EQ(TcpRequest(ns[kPods - 1]->path(), FirstIp(adds[0].out), 7000), "first");
  threads.clear();
  std::vector<int> dels(kPods, -1);
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      dels[i] = Bridge("DEL", "pod" + std::to_string(i), ns[i]->path(), conf).exit_code;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(std::count(dels.begin(), dels.end(), 0), kPods);
  EXPECT_EQ(AllocationCount(), 0);
}

TEST_F(CapstanPlugins, GcFreesWhatIsNotInValidAttachments) {
  TestNetns& a = NewNetns();
  TestNetns& b = NewNetns();
  json conf = BridgeConf("1.1.0");
  conf["ipMasq"] = true;
  ASSERT_EQ(Bridge("ADD", "keep", a.path(), conf).exit_code, 0);
  ASSERT_EQ(Bridge("ADD", "stale", b.path(), conf).exit_code, 0);
  EXPECT_EQ(AllocationCount(), 2);
  json gc = conf;
  gc["cni.dev/valid-attachments"] =
      json::array({json{{"containerID", "keep"}, {"ifname", "eth0"}}});
  PluginRun r = RunPlugin(CapstanCniDir(), "bridge", "GC", "", "", gc);
  ASSERT_EQ(r.exit_code, 0) << r.raw << r.err;
  EXPECT_EQ(AllocationCount(), 1);
  EXPECT_TRUE(TableExists("inet", "capstan_masq_", "keep"));
  EXPECT_FALSE(TableExists("inet", "capstan_masq_", "stale"));
  EXPECT_EQ(RunPlugin(CapstanCniDir(), "bridge", "STATUS", "", "", conf).exit_code, 0);
}

TEST_F(CapstanPlugins, DualStackPodsTalkOverIpv6) {
  TestNetns& a = NewNetns();
  TestNetns& b = NewNetns();
  json conf = BridgeConf("1.1.0");
  std::string v6 = "fd00:199:" + subnet_prefix_.substr(7) + "::";
  conf["ipam"].erase("subnet");
  conf["ipam"]["ranges"] = json::array(
      {json::array({json{{"subnet", Subnet()}}}), json::array({json{{"subnet", v6 + "/64"}}})});
  PluginRun ra = Bridge("ADD", "a", a.path(), conf);
  PluginRun rb = Bridge("ADD", "b", b.path(), conf);
  ASSERT_EQ(ra.exit_code, 0) << ra.raw;
  ASSERT_EQ(rb.exit_code, 0) << rb.raw;
  ASSERT_EQ(ra.out["ips"].size(), 2u);
  std::string a6 = ra.out["ips"][1]["address"];
  a6 = a6.substr(0, a6.find('/'));
  TcpServer s(a.path(), a6, 8080, "v6");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(TcpRequest(b.path(), a6, 8080), "v6");
  EXPECT_EQ(ra.out["interfaces"][2]["mtu"], 1500);  // 1.1.0 reports the MTU
}

TEST_F(CapstanPlugins, LoopbackAndTheHostNamespaceGuard) {
  TestNetns& a = NewNetns();
  ASSERT_EQ(Sh({"/usr/sbin/ip", "-n", a.name(), "link", "set", "lo", "down"}), 0);
  json conf{{"cniVersion", "1.0.0"}, {"name", net_name_}, {"type", "loopback"}};
  PluginRun r = RunPlugin(CapstanCniDir(), "loopback", "ADD", "c1", a.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.raw;
  EXPECT_EQ(r.out["interfaces"][0]["name"], "lo");
  TcpServer s(a.path(), "127.0.0.1", 9000, "lo");
  EXPECT_EQ(TcpRequest(a.path(), "127.0.0.1", 9000), "lo");
  EXPECT_EQ(RunPlugin(CapstanCniDir(), "loopback", "DEL", "c1", a.path(), conf).exit_code, 0);
  // A runtime bug (or attacker) passing the host's own namespace gets an error, not a host
  // with its loopback down.
  PluginRun host = RunPlugin(CapstanCniDir(), "loopback", "DEL", "c1", "/proc/self/ns/net", conf);
  EXPECT_NE(host.exit_code, 0);
  EXPECT_EQ(host.out["code"], 4);
}

TEST_F(CapstanPlugins, MixesWithTheReferenceIpam) {
  if (!ReferencePluginsInstalled()) {
    GTEST_SKIP() << "the reference plugins are not installed";
  }
  // capstan's bridge delegating to the reference host-local (found first in CNI_PATH).
  std::filesystem::create_directories(dir_ + "/mixed");
  std::filesystem::create_symlink(ReferenceCniDir() + "/host-local", dir_ + "/mixed/host-local");
  TestNetns& a = NewNetns();
  json conf = BridgeConf();
  PluginRun r = RunPlugin(CapstanCniDir(), "bridge", "ADD", "a", a.path(), conf, "eth0",
                          dir_ + "/mixed:" + CapstanCniDir());
  ASSERT_EQ(r.exit_code, 0) << r.raw << r.err;
  EXPECT_EQ(AllocationCount(), 1);
  EXPECT_EQ(RunPlugin(CapstanCniDir(), "bridge", "DEL", "a", a.path(), conf, "eth0",
                      dir_ + "/mixed:" + CapstanCniDir())
                .exit_code,
            0);
  EXPECT_EQ(AllocationCount(), 0);
}

}  // namespace
}  // namespace capstan::integration::cni

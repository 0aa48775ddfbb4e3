// capstan-cri with CNI: pods get addresses from the conflist and reach each other, hostPorts
// work, StopPodSandbox releases the address (also after a crash and restart), and Status
// reports NetworkReady. Run with capstan's plugins and with the reference plugins unchanged.
#include <filesystem>
#include <fstream>

#include "cni-plugins/lib/nft.h"
#include "integration/cni/cni_it_util.h"
#include "integration/cri/cri_test_env.h"

namespace capstan::integration::cni {
namespace {

using capstan::integration::Ctx;
namespace v1 = ::runtime::v1;

// Names, subnet and directories of one test, made before the daemon starts.
struct NetSetup {
  NetSetup() {
    static int counter = 0;
    int pid = static_cast<int>(::getpid());
    int n = counter++;
    char tmpl[] = "/tmp/capstan-cni-rt-XXXXXX";
    dir = ::mkdtemp(tmpl);
    net = "crit-" + std::to_string(pid % 100000) + "x" + std::to_string(n);
    bridge = "crb" + std::to_string(pid % 10000) + "x" + std::to_string(n);
    prefix = "10.199." + std::to_string((pid * 11 + n * 17) % 250 + 2);
    std::filesystem::create_directories(dir + "/conf");
  }
  ~NetSetup() {
    Sh({"/usr/sbin/ip", "link", "del", bridge});
    auto nft = capstan::cni::Nft::Open();
    if (nft) {
      for (const char* prefix_kind : {"capstan_masq_", "capstan_pm_"}) {
        auto tables = capstan::cni::ListTables(*nft, "inet",
                                               capstan::cni::NetworkTablePrefix(prefix_kind, net));
        for (const auto& t : tables.value_or(std::vector<std::string>{})) {
          (void)nft->Run(capstan::cni::DeleteTableCommand("inet", t));
        }
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void WriteConflist(bool with_portmap) const {
    json bridge_conf{{"type", "bridge"},
                     {"bridge", bridge},
                     {"isGateway", true},
                     {"ipam",
                      {{"type", "host-local"},
                       {"subnet", prefix + ".0/24"},
                       {"routes", {{{"dst", "0.0.0.0/0"}}}},
                       {"dataDir", dir + "/ipam"}}}};
    json plugins = json::array({bridge_conf});
    if (with_portmap) {
      plugins.push_back(json{{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}});
    }
    plugins.push_back(json{{"type", "loopback"}});
    json list{{"cniVersion", "1.0.0"}, {"name", net}, {"plugins", plugins}};
    std::ofstream(dir + "/conf/10-test.conflist") << list.dump(2);
  }
  int Allocations() const {
    int count = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/ipam/" + net, ec)) {
      std::string f = e.path().filename();
      count += (f != "lock" && f.rfind("last_reserved_ip", 0) != 0) ? 1 : 0;
    }
    return count;
  }
  int CachedResults() const {
    int count = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/cache/results", ec)) {
      count += e.path().extension() != ".tmp" ? 1 : 0;
    }
    return count;
  }

  std::string dir, net, bridge, prefix;
};

class CniRuntimeTest : public CriTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string ExtraConfig() const override {
    std::string bin = GetParam() == "capstan" ? CapstanCniDir() : ReferenceCniDir();
    return "cni:\n  conf_dir: " + setup_.dir + "/conf\n  bin_dirs: [" + bin +
           "]\n  cache_dir: " + setup_.dir + "/cache\n";
  }
  void SetUp() override {
    if (GetParam() == "reference" && !ReferencePluginsInstalled()) {
      GTEST_SKIP() << "the reference plugins are not installed (containernetworking-plugins)";
    }
    setup_.WriteConflist(/*with_portmap=*/GetParam() == "capstan");
    CriTest::SetUp();
  }
  // The daemon (and the pods' CNI DELs) go before the test's directories and bridge do.
  void TearDown() override { cri_.reset(); }

  v1::PodSandboxStatusResponse SandboxStatus(const std::string& id) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    req.set_verbose(true);
    v1::PodSandboxStatusResponse resp;
    auto st = cri_->runtime().PodSandboxStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  std::string NetnsOf(const std::string& id) {
    auto info = json::parse(SandboxStatus(id).info().at("info"));
    return info.value("netns", "");
  }
  bool NetworkReady(std::string* message = nullptr) {
    v1::StatusRequest req;
    v1::StatusResponse resp;
    EXPECT_TRUE(cri_->runtime().Status(Ctx().get(), req, &resp).ok());
    for (const auto& c : resp.status().conditions()) {
      if (c.type() == "NetworkReady") {
        if (message != nullptr) {
          *message = c.message();
        }
        return c.status();
      }
    }
    return false;
  }
  void StopPod(const std::string& id) {
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse resp;
    auto st = cri_->runtime().StopPodSandbox(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }

  NetSetup setup_;
};

TEST_P(CniRuntimeTest, PodsGetAddressesReachEachOtherAndStopReleasesThem) {
  EXPECT_TRUE(NetworkReady());
  std::string image = PullBusybox();
  v1::PodSandboxConfig config_a, config_b;
  std::string a = RunPod("web-a", &config_a);
  std::string b = RunPod("web-b", &config_b);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  std::string ip_a = SandboxStatus(a).status().network().ip();
  std::string ip_b = SandboxStatus(b).status().network().ip();
  EXPECT_EQ(ip_a.rfind(setup_.prefix + ".", 0), 0u) << ip_a;
  EXPECT_EQ(ip_b.rfind(setup_.prefix + ".", 0), 0u) << ip_b;
  EXPECT_NE(ip_a, ip_b);
  EXPECT_EQ(setup_.Allocations(), 2);
  EXPECT_EQ(setup_.CachedResults(), 2);

  // Container to container: a server in pod A, a client in pod B.
  std::string server = StartContainer(
      a, config_a,
      ContainerConfig("server", image, {"nc", "-ll", "-p", "8080", "-e", "echo", "hello-from-a"}));
  std::string client =
      StartContainer(b, config_b, ContainerConfig("client", image, {"sleep", "600"}));
  ASSERT_FALSE(server.empty());
  ASSERT_FALSE(client.empty());
  bool reached = WaitFor(
      [&] {
        auto r = Exec(client, {"nc", "-w", "2", ip_a, "8080"}, 5);
        return r.stdout().find("hello-from-a") != std::string::npos;
      },
      15);
  EXPECT_TRUE(reached);
  // And from the namespaces, without the containers' help.
  TcpServer in_b(NetnsOf(b), ip_b, 9090, "from-b");
  EXPECT_EQ(TcpRequest(NetnsOf(a), ip_b, 9090), "from-b");
  EXPECT_EQ(TcpRequest("", ip_b, 9090), "from-b");  // the node reaches the pod

  StopPod(a);
  EXPECT_EQ(setup_.Allocations(), 1);
  EXPECT_EQ(setup_.CachedResults(), 1);
  StopPod(a);  // idempotent
  StopPod(b);
  EXPECT_EQ(setup_.Allocations(), 0);
  EXPECT_EQ(setup_.CachedResults(), 0);
}

TEST_P(CniRuntimeTest, StopAfterACrashAndRestartReleasesTheAddress) {
  std::string a = RunPod("crashy");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(setup_.Allocations(), 1);
  cri_->Kill9();
  ASSERT_TRUE(cri_->Start());
  EXPECT_EQ(setup_.Allocations(), 1);  // a ready sandbox keeps its network over a restart
  EXPECT_FALSE(SandboxStatus(a).status().network().ip().empty());
  StopPod(a);
  EXPECT_EQ(setup_.Allocations(), 0);
}

INSTANTIATE_TEST_SUITE_P(Implementations, CniRuntimeTest, ::testing::Values("capstan", "reference"),
                         [](const auto& info) { return info.param; });

// capstan's chain as capstan installs it: hostPorts through portmap.
class CniRuntimeCapstanTest : public CniRuntimeTest {};

TEST_P(CniRuntimeCapstanTest, HostPortReachesThePod) {
  std::string image = PullBusybox();
  v1::PodSandboxConfig config = PodConfig("hp", *cri_);
  int host_port = 21000 + (std::stoi(setup_.prefix.substr(7)) * 31) % 20000;
  auto* pm = config.add_port_mappings();
  pm->set_container_port(8080);
  pm->set_host_port(host_port);
  std::string pod = RunPod(config);
  ASSERT_FALSE(pod.empty());
  std::string ctr = StartContainer(
      pod, config, ContainerConfig("web", image, {"nc", "-ll", "-p", "8080", "-e", "echo", "hi"}));
  ASSERT_FALSE(ctr.empty());
  bool ok = WaitFor([&] { return TcpRequest("", "127.0.0.1", host_port, 500) == "hi\n"; }, 15);
  EXPECT_TRUE(ok);
  StopPod(pod);
  EXPECT_EQ(TcpRequest("", "127.0.0.1", host_port, 300), "");
}

INSTANTIATE_TEST_SUITE_P(Capstan, CniRuntimeCapstanTest, ::testing::Values("capstan"),
                         [](const auto& info) { return info.param; });

// No usable config: pods still run (loopback only) and Status says why the network is not
// ready; a config written later is picked up without a restart.
class CniRuntimeNoConfigTest : public CriTest {
 protected:
  std::string ExtraConfig() const override {
    return "cni:\n  conf_dir: " + setup_.dir + "/conf\n  bin_dirs: [" + CapstanCniDir() +
           "]\n  cache_dir: " + setup_.dir + "/cache\n";
  }
  void TearDown() override { cri_.reset(); }
  NetSetup setup_;
};

TEST_F(CniRuntimeNoConfigTest, LoopbackOnlyAndNetworkNotReadyUntilAConfigAppears) {
  v1::StatusRequest sreq;
  v1::StatusResponse sresp;
  ASSERT_TRUE(cri_->runtime().Status(Ctx().get(), sreq, &sresp).ok());
  bool seen = false;
  for (const auto& c : sresp.status().conditions()) {
    if (c.type() == "NetworkReady") {
      seen = true;
      EXPECT_FALSE(c.status());
      EXPECT_EQ(c.reason(), "NetworkPluginNotReady");
      EXPECT_NE(c.message().find("no valid CNI network config"), std::string::npos) << c.message();
    }
  }
  EXPECT_TRUE(seen);
  std::string pod = RunPod("lonely");
  ASSERT_FALSE(pod.empty());
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(pod);
  v1::PodSandboxStatusResponse resp;
  ASSERT_TRUE(cri_->runtime().PodSandboxStatus(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.status().network().ip().empty());

  setup_.WriteConflist(false);
  ASSERT_TRUE(cri_->runtime().Status(Ctx().get(), sreq, &sresp).ok());
  for (const auto& c : sresp.status().conditions()) {
    if (c.type() == "NetworkReady") {
      EXPECT_TRUE(c.status()) << c.message();
    }
  }
  std::string pod2 = RunPod("networked");
  req.set_pod_sandbox_id(pod2);
  ASSERT_TRUE(cri_->runtime().PodSandboxStatus(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.status().network().ip().rfind(setup_.prefix + ".", 0), 0u);
}

}  // namespace
}  // namespace capstan::integration::cni

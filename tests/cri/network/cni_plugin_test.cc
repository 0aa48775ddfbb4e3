// CniNetworkPlugin against fake plugins (fake_cni_plugin.cc): the chain order, what each
// plugin is given, the cache, DEL with the cached config, version negotiation, readiness and
// GC. No root: nothing touches the kernel.
#include "cri/network/cni_plugin.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace capstan::cri::network {
namespace {

using nlohmann::json;

class CniPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-cni-fake-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    for (const char* d : {"/conf", "/bin", "/cache"}) {
      std::filesystem::create_directories(dir_ + d);
    }
    for (const char* t : {"one", "two", "ipam"}) {
      std::filesystem::create_symlink(FAKE_CNI_PLUGIN, dir_ + "/bin/" + t);
    }
    ::setenv("FAKE_CNI_DIR", dir_.c_str(), 1);
    CniOptions opts{dir_ + "/conf", {dir_ + "/nothing-here", dir_ + "/bin"}, dir_ + "/cache"};
    opts.status_ttl = std::chrono::milliseconds(0);  // every Ready() asks again
    plugin_ = std::make_unique<CniNetworkPlugin>(opts);
    config_.mutable_metadata()->set_name("web");
    config_.mutable_metadata()->set_namespace_("default");
    auto* p = config_.add_port_mappings();
    p->set_container_port(80);
    p->set_host_port(8080);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConf(const std::string& text, const std::string& name = "10-test.conflist") {
    std::ofstream(dir_ + "/conf/" + name) << text;
  }
  void WriteTwoPluginConf() {
    WriteConf(R"({"cniVersion": "1.0.0", "name": "testnet", "plugins": [
        {"type": "one", "ipam": {"type": "ipam"}, "runtimeConfig": {"stale": 1}},
        {"type": "two", "capabilities": {"portMappings": true, "bandwidth": true}}]})");
  }
  std::vector<json> Calls(const std::string& cmd = "") {
    std::vector<json> out;
    std::ifstream in(dir_ + "/calls");
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      if (cmd.empty() || j["cmd"] == cmd) {
        out.push_back(j);
      }
    }
    return out;
  }
  void ClearCalls() { std::filesystem::remove(dir_ + "/calls"); }
  PodNetworkRequest Req(const std::string& id = "sb1") {
    return PodNetworkRequest{id, dir_ + "/netns-" + id, &config_};
  }

  std::string dir_;
  std::unique_ptr<CniNetworkPlugin> plugin_;
  ::runtime::v1::PodSandboxConfig config_;
};

// UpdateRuntimeConfig's pod CIDRs reach a plugin that asks for ipRanges.
TEST_F(CniPluginTest, PodCidrsBecomeIpRanges) {
  WriteConf(R"({"cniVersion": "1.0.0", "name": "testnet", "plugins": [
      {"type": "one", "capabilities": {"ipRanges": true}, "ipam": {"type": "ipam"}}]})");
  ASSERT_TRUE(plugin_->SetUpPod(Req("before")));
  EXPECT_FALSE(Calls("ADD")[0]["stdin"].contains("runtimeConfig"));  // nothing known yet
  plugin_->SetPodCidrs({"10.42.3.0/24", "fd42::/64"});
  ASSERT_TRUE(plugin_->SetUpPod(Req("after")));
  EXPECT_EQ(Calls("ADD")[1]["stdin"]["runtimeConfig"]["ipRanges"],
            json::parse(R"([[{"subnet": "10.42.3.0/24"}], [{"subnet": "fd42::/64"}]])"));
}

TEST_F(CniPluginTest, NoConfigMeansLoopbackOnlyAndNotReady) {
  auto st = plugin_->SetUpPod(Req());
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_TRUE(st->ip.empty());
  auto ready = plugin_->Ready();
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message().find("no valid CNI network config"), std::string::npos);
  EXPECT_TRUE(plugin_->TearDownPod(Req()));
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CniPluginTest, MissingPluginIsNotReady) {
  WriteConf(R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "absent"}]})");
  auto ready = plugin_->Ready();
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message().find("absent"), std::string::npos);
  WriteTwoPluginConf();  // 10-test.conflist sorts after? same name: replaced
  EXPECT_TRUE(plugin_->Ready()) << plugin_->Ready().error().ToString();
}

TEST_F(CniPluginTest, AddRunsTheChainAndCachesTheResult) {
  WriteTwoPluginConf();
  auto st = plugin_->SetUpPod(Req());
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(st->ip, "10.99.0.9");  // IPv4 first; 10.99.0.1 is on a host interface
  EXPECT_EQ(st->additional_ips, std::vector<std::string>{"fd00::9"});

  auto adds = Calls("ADD");
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_EQ(adds[0]["type"], "one");
  EXPECT_EQ(adds[1]["type"], "two");
  const json& first = adds[0]["stdin"];
  EXPECT_EQ(first["cniVersion"], "1.0.0");
  EXPECT_EQ(first["name"], "testnet");
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_FALSE(first.contains("runtimeConfig"));  // no capabilities: the file's is dropped
  const json& second = adds[1]["stdin"];
  EXPECT_FALSE(second.contains("capabilities"));
  EXPECT_EQ(second["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  EXPECT_FALSE(second["runtimeConfig"].contains("bandwidth"));  // nothing to pass
  EXPECT_EQ(second["prevResult"]["ips"].size(), 3u);
  EXPECT_EQ(adds[0]["env"]["CNI_CONTAINERID"], "sb1");
  EXPECT_EQ(adds[0]["env"]["CNI_IFNAME"], "eth0");
  EXPECT_EQ(adds[0]["env"]["CNI_PATH"], dir_ + "/nothing-here:" + dir_ + "/bin");
  EXPECT_NE(adds[0]["env"]["CNI_ARGS"].get<std::string>().find("K8S_POD_NAME=web"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cache/results/testnet-sb1-eth0"));
}

TEST_F(CniPluginTest, DelRunsBackwardsWithTheCachedConfigAndResult) {
  WriteTwoPluginConf();
  ASSERT_TRUE(plugin_->SetUpPod(Req()));
  // The config changes (or goes) before DEL: DEL still uses what ADD used.
  std::filesystem::remove(dir_ + "/conf/10-test.conflist");
  WriteConf(R"({"cniVersion": "1.0.0", "name": "other", "plugins": [{"type": "two"}]})",
            "20-other.conflist");
  ClearCalls();
  ASSERT_TRUE(plugin_->TearDownPod(Req()));
  auto dels = Calls("DEL");
  ASSERT_EQ(dels.size(), 2u);
  EXPECT_EQ(dels[0]["type"], "two");
  EXPECT_EQ(dels[1]["type"], "one");
  EXPECT_EQ(dels[1]["stdin"]["name"], "testnet");
  EXPECT_EQ(dels[0]["stdin"]["prevResult"]["dns"]["nameservers"], json::array({"two"}));
  EXPECT_EQ(dels[0]["stdin"]["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  EXPECT_EQ(dels[0]["env"]["CNI_NETNS"], "");  // the namespace does not exist
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/results/testnet-sb1-eth0"));
  // Again: nothing cached, so DEL runs with the current config (idempotent).
  ClearCalls();
  ASSERT_TRUE(plugin_->TearDownPod(Req()));
  EXPECT_EQ(Calls("DEL").size(), 1u);
}

TEST_F(CniPluginTest, FailedAddIsUndoneAndReported) {
  WriteTwoPluginConf();
  std::ofstream(dir_ + "/fail-two-ADD");
  auto st = plugin_->SetUpPod(Req());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kUnavailable);  // code 11
  EXPECT_NE(st.error().message().find("try again later"), std::string::npos);
  auto dels = Calls("DEL");
  ASSERT_EQ(dels.size(), 2u);
  EXPECT_EQ(dels[1]["type"], "one");
  EXPECT_TRUE(dels[1]["stdin"].contains("prevResult"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/results/testnet-sb1-eth0"));
}

TEST_F(CniPluginTest, NegotiatesAVersionEveryPluginSpeaks) {
  WriteConf(R"({"cniVersion": "1.0.0", "cniVersions": ["0.4.0", "1.1.0"], "name": "n",
      "plugins": [{"type": "one"}, {"type": "two"}]})");
  std::ofstream(dir_ + "/versions-two")
      << R"({"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]})";
  ASSERT_TRUE(plugin_->SetUpPod(Req()));
  auto adds = Calls("ADD");
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_EQ(adds[0]["stdin"]["cniVersion"], "1.0.0");
  // Asked once per executable, not per pod.
  size_t versions = Calls("VERSION").size();
  ASSERT_TRUE(plugin_->SetUpPod(Req("sb2")));
  EXPECT_EQ(Calls("VERSION").size(), versions);

  // A new executable (an upgrade) is asked again.
  std::ofstream(dir_ + "/versions-two")
      << R"({"cniVersion":"0.3.1","supportedVersions":["0.3.1"]})";
  std::filesystem::remove(dir_ + "/bin/two");
  std::filesystem::copy_file(FAKE_CNI_PLUGIN, dir_ + "/bin/two");
  ASSERT_TRUE(plugin_->TearDownPod(Req()));  // DEL keeps ADD's version
  EXPECT_EQ(Calls("DEL")[0]["stdin"]["cniVersion"], "1.0.0");
  auto ready = plugin_->Ready();
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message().find("no CNI version"), std::string::npos);
}

TEST_F(CniPluginTest, StatusAndGcFor110) {
  WriteConf(R"({"cniVersion": "1.1.0", "name": "n", "plugins": [{"type": "one"}]})");
  ASSERT_TRUE(plugin_->Ready());
  EXPECT_EQ(Calls("STATUS").size(), 1u);
  ASSERT_TRUE(plugin_->SetUpPod(Req("alive")));
  ASSERT_TRUE(plugin_->SetUpPod(Req("gone")));
  // Another runtime's attachment in the shared cache dir is left alone.
  std::ofstream(dir_ + "/cache/results/n-theirs-eth0")
      << R"({"kind": "cniCacheV1", "containerId": "theirs", "ifName": "eth0", "networkName": "n",
            "config": "e30="})";
  ClearCalls();
  ASSERT_TRUE(plugin_->GarbageCollect({"alive"}));
  auto dels = Calls("DEL");
  ASSERT_EQ(dels.size(), 1u);
  EXPECT_EQ(dels[0]["env"]["CNI_CONTAINERID"], "gone");
  auto gcs = Calls("GC");
  ASSERT_EQ(gcs.size(), 1u);
  EXPECT_EQ(gcs[0]["stdin"]["cni.dev/valid-attachments"],
            json::parse(R"([{"containerID": "alive", "ifname": "eth0"}])"));
  EXPECT_FALSE(gcs[0]["stdin"].contains("prevResult"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cache/results/n-alive-eth0"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/results/n-gone-eth0"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cache/results/n-theirs-eth0"));

  std::ofstream(dir_ + "/fail-one-STATUS");
  EXPECT_FALSE(plugin_->Ready());
}

TEST_F(CniPluginTest, CheckUsesTheCachedResult) {
  WriteConf(R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "one"}]})");
  EXPECT_FALSE(plugin_->CheckPod(Req()));  // nothing cached
  ASSERT_TRUE(plugin_->SetUpPod(Req()));
  ASSERT_TRUE(plugin_->CheckPod(Req()));
  auto checks = Calls("CHECK");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["stdin"]["prevResult"]["ips"].size(), 3u);
}

TEST(PodIps, FromResults) {
  auto st = PodIpsFromResult(json::parse(R"({"ips": [{"address": "fd00::2/64"},
      {"address": "10.1.0.2/16"}, {"address": "10.1.0.3/16"}]})"));
  EXPECT_EQ(st.ip, "10.1.0.2");
  EXPECT_EQ(st.additional_ips, (std::vector<std::string>{"10.1.0.3", "fd00::2"}));
  EXPECT_TRUE(PodIpsFromResult(json::parse("{}")).ip.empty());
}

}  // namespace
}  // namespace capstan::cri::network

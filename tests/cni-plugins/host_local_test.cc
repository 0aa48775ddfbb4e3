// host-local without root: config defaults and checks, allocation order, the on-disk format
// the reference plugin shares, release, CHECK, STATUS and GC, in a temp dataDir.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cni-plugins/host-local/config.h"
#include "cni-plugins/host-local/host_local.h"

namespace capstan::cni::host_local {
namespace {

class HostLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-hl-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CmdArgs Args(const std::string& id, Json ipam, const std::string& version = "1.1.0") {
    ipam["type"] = "host-local";
    ipam["dataDir"] = dir_;
    Json conf{{"cniVersion", version}, {"name", "testnet"}, {"type", "bridge"}, {"ipam", ipam}};
    CmdArgs a;
    a.container_id = id;
    a.ifname = "eth0";
    a.netns = "/run/netns/x";
    a.cni_version = version;
    a.config = conf;
    a.stdin_data = conf.dump();
    return a;
  }
  Json Subnet(const std::string& s) { return Json{{"ranges", {{{{"subnet", s}}}}}}; }
  std::string Add(const CmdArgs& a) {
    auto r = CmdAdd(a);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? Json::parse(*r)["ips"][0]["address"].get<std::string>() : "";
  }
  std::string ReadData(const std::string& name) {
    std::ifstream in(dir_ + "/testnet/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
};

TEST_F(HostLocalTest, RangeDefaults) {
  auto r = ParseRange(Json{{"subnet", "10.199.1.0/24"}}, "r");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gateway.ToString(), "10.199.1.1");
  EXPECT_EQ(r->range_start.ToString(), "10.199.1.1");
  EXPECT_EQ(r->range_end.ToString(), "10.199.1.254");
  auto v6 = ParseRange(Json{{"subnet", "fd00:199::/120"}}, "r");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->range_end.ToString(), "fd00:199::ff");
}

TEST_F(HostLocalTest, InvalidRangesAreCode7) {
  for (Json bad :
       {Json{{"subnet", "10.199.1.5/24"}}, Json{{"subnet", "10.199.1.0/31"}},
        Json{{"subnet", "nope"}}, Json{{"subnet", "10.199.1.0/24"}, {"rangeStart", "10.199.2.1"}},
        Json{{"subnet", "10.199.1.0/24"}, {"rangeStart", "10.199.1.9"}, {"rangeEnd", "10.199.1.3"}},
        Json{{"subnet", "10.199.1.0/24"}, {"gateway", "fd00::1"}}}) {
    auto r = ParseRange(bad, "r");
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().code, kInvalidConfig) << bad.dump();
  }
  auto a = Args(
      "c1", Json{{"ranges", {{{{"subnet", "10.199.0.0/16"}}}, {{{"subnet", "10.199.3.0/24"}}}}}});
  auto c = ParseIpamConf(a);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().msg.find("overlaps"), std::string::npos);
  auto none = ParseIpamConf(Args("c1", Json::object()));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, kInvalidConfig);
  auto dir = Args("c1", Subnet("10.199.1.0/24"));
  dir.config["ipam"]["dataDir"] = "/var/lib/../../etc";
  EXPECT_EQ(ParseIpamConf(dir).error().code, kInvalidConfig);
}

TEST_F(HostLocalTest, AllocatesInOrderSkippingTheGatewayAndWritesReferenceFormat) {
  Json ipam = Subnet("10.199.1.0/24");
  EXPECT_EQ(Add(Args("c1", ipam)), "10.199.1.2/24");
  EXPECT_EQ(Add(Args("c2", ipam)), "10.199.1.3/24");
  EXPECT_EQ(ReadData("10.199.1.2"), "c1\r\neth0");
  EXPECT_EQ(ReadData("last_reserved_ip.0"), "10.199.1.3");
  // The same attachment twice is refused (SPEC: no second ADD without DEL).
  auto again = CmdAdd(Args("c1", ipam));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().msg.find("duplicate"), std::string::npos);
  // Round robin: a released address is not handed out again at once.
  ASSERT_TRUE(CmdDel(Args("c1", ipam)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/testnet/10.199.1.2"));
  EXPECT_EQ(Add(Args("c3", ipam)), "10.199.1.4/24");
  ASSERT_TRUE(CmdDel(Args("c1", ipam)));  // idempotent
}

TEST_F(HostLocalTest, ResultCarriesGatewayRoutesAndDns) {
  std::ofstream(dir_ + "/resolv.conf") << "nameserver 10.96.0.10\nsearch a.local b.local\n"
                                          "options ndots:5\n";
  Json ipam = Subnet("10.199.1.0/24");
  ipam["routes"] =
      Json::parse(R"([{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "10.199.1.9"}])");
  ipam["resolvConf"] = dir_ + "/resolv.conf";
  auto r = CmdAdd(Args("c1", ipam, "0.4.0"));
  ASSERT_TRUE(r) << r.error().ToString();
  Json j = Json::parse(*r);
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["ips"][0]["version"], "4");
  EXPECT_EQ(j["ips"][0]["gateway"], "10.199.1.1");
  EXPECT_FALSE(j["ips"][0].contains("interface"));  // IPAM results have none
  EXPECT_EQ(j["routes"].size(), 2u);
  EXPECT_EQ(j["dns"]["nameservers"][0], "10.96.0.10");
  EXPECT_EQ(j["dns"]["search"].size(), 2u);
}

TEST_F(HostLocalTest, DualStackRequestedAddressesAndIpRanges) {
  Json ipam{{"ranges", {{{{"subnet", "10.199.1.0/24"}}}, {{{"subnet", "fd00:199:1::/64"}}}}}};
  CmdArgs a = Args("c1", ipam);
  a.args = "IgnoreUnknown=1;IP=10.199.1.77,fd00:199:1::77";
  auto r = CmdAdd(a);
  ASSERT_TRUE(r) << r.error().ToString();
  Json j = Json::parse(*r);
  EXPECT_EQ(j["ips"][0]["address"], "10.199.1.77/24");
  EXPECT_EQ(j["ips"][1]["address"], "fd00:199:1::77/64");

  CmdArgs gw = Args("c2", Subnet("10.199.1.0/24"));
  gw.args = "IP=10.199.1.1";
  EXPECT_FALSE(CmdAdd(gw));  // the gateway
  CmdArgs outside = Args("c3", Subnet("10.199.1.0/24"));
  outside.config["runtimeConfig"] = Json{{"ips", {"10.50.0.1/24"}}};
  EXPECT_FALSE(CmdAdd(outside));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/testnet/10.199.1.2"));  // nothing kept

  // ipRanges (the runtime's capability) come first.
  CmdArgs rr = Args("c4", Subnet("10.199.1.0/24"));
  rr.config["runtimeConfig"] = Json{{"ipRanges", {{{{"subnet", "10.199.9.0/24"}}}}}};
  auto rj = CmdAdd(rr);
  ASSERT_TRUE(rj) << rj.error().ToString();
  EXPECT_EQ(Json::parse(*rj)["ips"][0]["address"], "10.199.9.2/24");
}

TEST_F(HostLocalTest, ExhaustionStatusCheckAndGc) {
  Json ipam{{"ranges",
             {{{{"subnet", "10.199.1.0/29"},
                {"rangeStart", "10.199.1.2"},
                {"rangeEnd", "10.199.1.4"}}}}}};
  EXPECT_TRUE(CmdStatus(Args("", ipam)));
  for (const char* id : {"a", "b", "c"}) {
    Add(Args(id, ipam));
  }
  auto full = CmdAdd(Args("d", ipam));
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().msg.find("no IP addresses available"), std::string::npos);
  auto st = CmdStatus(Args("", ipam));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, kNotAvailable);

  EXPECT_TRUE(CmdCheck(Args("b", ipam)));
  EXPECT_FALSE(CmdCheck(Args("zzz", ipam)));

  CmdArgs gc = Args("", ipam);
  gc.config["cni.dev/valid-attachments"] =
      Json::parse(R"([{"containerID": "b", "ifname": "eth0"}])");
  ASSERT_TRUE(CmdGc(gc));
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/testnet")) {
    left.insert(e.path().filename());
  }
  EXPECT_EQ(left, (std::set<std::string>{"10.199.1.3", "lock", "last_reserved_ip.0"}));
  EXPECT_TRUE(CmdStatus(Args("", ipam)));
}

TEST_F(HostLocalTest, ReleasesFilesOfOldVersions) {
  std::filesystem::create_directories(dir_ + "/testnet");
  std::ofstream(dir_ + "/testnet/10.199.1.9") << "oldid\n";
  ASSERT_TRUE(CmdDel(Args("oldid", Subnet("10.199.1.0/24"))));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/testnet/10.199.1.9"));
}

TEST(ResolvConf, Parses) {
  Dns d = ParseResolvConf("# c\nnameserver 1.1.1.1\nnameserver 8.8.8.8\ndomain x\nsearch a b\n");
  EXPECT_EQ(d.nameservers, (std::vector<std::string>{"1.1.1.1", "8.8.8.8"}));
  EXPECT_EQ(d.domain, "x");
  EXPECT_EQ(d.search, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace capstan::cni::host_local

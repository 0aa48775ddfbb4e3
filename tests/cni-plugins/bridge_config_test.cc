#include <gtest/gtest.h>

#include "cni-plugins/bridge/config.h"
#include "cni-plugins/bridge/gateways.h"
#include "cni-plugins/bridge/rules.h"
#include "cni-plugins/lib/nft.h"
#include "cni-plugins/portmap/config.h"
#include "cni-plugins/portmap/rules.h"

namespace capstan::cni {
namespace {

CmdArgs Args(Json conf, const std::string& cni_args = "") {
  conf["cniVersion"] = "1.0.0";
  conf["name"] = "net1";
  CmdArgs a;
  a.container_id = "c1";
  a.ifname = "eth0";
  a.cni_version = "1.0.0";
  a.args = cni_args;
  a.config = conf;
  a.stdin_data = conf.dump();
  return a;
}

TEST(BridgeConfig, DefaultsAndValidation) {
  auto c = bridge::ParseBridgeConf(Args(Json{{"type", "bridge"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->bridge, "cni0");
  EXPECT_FALSE(c->is_gateway);
  auto d = bridge::ParseBridgeConf(Args(Json{{"isDefaultGateway", true}}));
  EXPECT_TRUE(d->is_gateway);

  struct Case {
    Json conf;
    int code;
  } cases[] = {
      {Json{{"hairpinMode", true}, {"promiscMode", true}}, kInvalidConfig},
      {Json{{"vlan", 4095}}, kInvalidConfig},
      {Json{{"vlan", -1}}, kInvalidConfig},
      {Json{{"mtu", 70000}}, kInvalidConfig},
      {Json{{"bridge", "a-bridge-name-too-long"}}, kInvalidConfig},
      {Json{{"bridge", "br/0"}}, kInvalidConfig},
      {Json{{"isGateway", "yes"}}, kDecodingFailure},
      {Json{{"vlanTrunk", Json::parse(R"([{"id": 5}])")}}, kUnsupportedField},
      {Json{{"ipMasqBackend", "iptables"}}, kUnsupportedField},
      {Json{{"vlan", 10}, {"isGateway", true}}, kUnsupportedField},
      {Json{{"runtimeConfig", {{"mac", "01:00:00:00:00:01"}}}}, kInvalidConfig},  // multicast
      {Json{{"ipam", {{"type", "../evil"}}}}, kInvalidConfig},
  };
  for (const auto& cs : cases) {
    auto r = bridge::ParseBridgeConf(Args(cs.conf));
    ASSERT_FALSE(r) << cs.conf.dump();
    EXPECT_EQ(r.error().code, cs.code) << cs.conf.dump() << ": " << r.error().ToString();
  }
}

TEST(BridgeConfig, MacPrecedence) {
  Json conf{{"args", {{"cni", {{"mac", "02:00:00:00:00:02"}}}}}};
  auto a = bridge::ParseBridgeConf(Args(conf, "IgnoreUnknown=1;MAC=02:00:00:00:00:01"));
  EXPECT_EQ(a->mac, "02:00:00:00:00:02");
  conf["runtimeConfig"] = Json{{"mac", "02:00:00:00:00:0A"}};
  auto b = bridge::ParseBridgeConf(Args(conf));
  EXPECT_EQ(b->mac, "02:00:00:00:00:0a");
  auto c = bridge::ParseBridgeConf(Args(Json::object(), "MAC=02:00:00:00:00:01"));
  EXPECT_EQ(c->mac, "02:00:00:00:00:01");
  auto unknown = bridge::ParseBridgeConf(Args(Json::object(), "FOO=1"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, kInvalidEnvironment);
}

TEST(BridgeGateways, AsTheReferenceComputesThem) {
  auto conf = bridge::ParseBridgeConf(Args(Json{{"isDefaultGateway", true}}));
  AddResult r;
  r.ips.push_back(IpConfig{*IpNet::Parse("10.199.1.7/24"), std::nullopt, std::nullopt});
  r.ips.push_back(IpConfig{*IpNet::Parse("fd00::7/64"), IpAddr::Parse("fd00::fe"), std::nullopt});
  auto gws = bridge::CalcGateways(r, *conf, 2);
  EXPECT_EQ(*r.ips[0].interface, 2);
  EXPECT_EQ(r.ips[0].gateway->ToString(), "10.199.1.1");
  ASSERT_EQ(gws.v4.size(), 1u);
  EXPECT_EQ(gws.v4[0].ToString(), "10.199.1.1/24");
  EXPECT_EQ(gws.v6[0].ToString(), "fd00::fe/64");
  ASSERT_EQ(r.routes.size(), 2u);
  EXPECT_EQ(r.routes[0].dst.ToString(), "0.0.0.0/0");
  EXPECT_EQ(r.routes[0].gw->ToString(), "10.199.1.1");
  EXPECT_EQ(r.routes[1].dst.ToString(), "::/0");
  EXPECT_EQ(bridge::DefaultGatewayFor(r, AF_INET6)->ToString(), "fd00::fe");
}

TEST(NftRules, MasqueradeTableOfItsOwn) {
  std::string t = AttachmentTable("capstan_masq_", "net1", "c1", "eth0");
  EXPECT_EQ(t.rfind(NetworkTablePrefix("capstan_masq_", "net1"), 0), 0u);
  EXPECT_NE(t, AttachmentTable("capstan_masq_", "net1", "c2", "eth0"));
  EXPECT_LE(t.size(), 64u);
  std::string cmds = bridge::MasqCommands(
      t, {*IpNet::Parse("10.199.1.7/24"), *IpNet::Parse("fd00::7/64")}, "id=\"c1\";drop");
  EXPECT_NE(cmds.find("add table inet " + t + "\ndelete table inet " + t + "\n"),
            std::string::npos);
  EXPECT_NE(cmds.find("ip saddr 10.199.1.7 ip daddr != { 10.199.1.0/24, 224.0.0.0/4 } masquerade"),
            std::string::npos);
  EXPECT_NE(cmds.find("ip6 saddr fd00::7 ip6 daddr != { fd00::/64, ff00::/8 } masquerade"),
            std::string::npos);
  EXPECT_EQ(cmds.find("\"c1\""), std::string::npos);  // quotes from input never reach nft
  EXPECT_EQ(cmds.find(";drop"), std::string::npos);
}

TEST(NftRules, PortMappings) {
  Json prev = Json::parse(R"({"cniVersion": "1.0.0",
    "interfaces": [{"name": "cni0"}, {"name": "eth0", "sandbox": "/run/netns/x"}],
    "ips": [{"address": "10.199.1.7/24", "interface": 1}, {"address": "fd00::7/64", "interface": 1}]})");
  Json conf{
      {"type", "portmap"},
      {"prevResult", prev},
      {"runtimeConfig", {{"portMappings", Json::parse(R"([{"hostPort": 8080, "containerPort": 80},
                {"hostPort": 53, "containerPort": 5353, "protocol": "UDP", "hostIP": "192.0.2.1"}])")}}}};
  auto c = portmap::ParsePortMapConf(Args(conf));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->container_v4->ToString(), "10.199.1.7");
  EXPECT_EQ(c->host_interfaces, std::vector<std::string>{"cni0"});
  std::string cmds = portmap::PortMapCommands("T", *c, "x");
  EXPECT_NE(cmds.find("meta nfproto ipv4 tcp dport 8080 dnat ip to 10.199.1.7:80"),
            std::string::npos);
  EXPECT_NE(cmds.find("meta nfproto ipv6 tcp dport 8080 dnat ip6 to [fd00::7]:80"),
            std::string::npos);
  EXPECT_NE(
      cmds.find("meta nfproto ipv4 ip daddr 192.0.2.1 udp dport 53 dnat ip to 10.199.1.7:5353"),
      std::string::npos);
  EXPECT_EQ(cmds.find("ipv6 ip6 daddr 192.0.2.1"), std::string::npos);
  EXPECT_NE(cmds.find("ip saddr 127.0.0.0/8 ip daddr 10.199.1.7 tcp dport 80 masquerade"),
            std::string::npos);
  EXPECT_NE(cmds.find("fib daddr type local jump hostports"), std::string::npos);

  Json bad = conf;
  bad["runtimeConfig"]["portMappings"][0]["hostPort"] = 70000;
  EXPECT_EQ(portmap::ParsePortMapConf(Args(bad)).error().code, kInvalidConfig);
  bad = conf;
  bad["runtimeConfig"]["portMappings"][0]["protocol"] = "icmp";
  EXPECT_EQ(portmap::ParsePortMapConf(Args(bad)).error().code, kInvalidConfig);
  bad = conf;
  bad["conditionsV4"] = Json::array({"-s", "1.2.3.4"});
  EXPECT_EQ(portmap::ParsePortMapConf(Args(bad)).error().code, kUnsupportedField);
}

}  // namespace
}  // namespace capstan::cni

#include "cni-plugins/lib/result.h"

#include <gtest/gtest.h>

namespace capstan::cni {
namespace {

const char* kResult = R"({
  "cniVersion": "1.1.0",
  "interfaces": [{"name": "cni0", "mac": "aa:bb:cc:dd:ee:01"},
                 {"name": "eth0", "mac": "aa:bb:cc:dd:ee:02", "mtu": 1400, "sandbox": "/run/netns/x"}],
  "ips": [{"address": "10.1.0.5/16", "gateway": "10.1.0.1", "interface": 1},
          {"address": "fd00::5/64", "interface": 1}],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1300, "priority": 5}],
  "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]}
})";

TEST(Result, RoundTripsIn110) {
  auto r = ResultFromJson(Json::parse(kResult));
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[1].mtu, 1400u);
  EXPECT_EQ(r->ips[0].address.ToString(), "10.1.0.5/16");
  EXPECT_EQ(r->ips[0].gateway->ToString(), "10.1.0.1");
  EXPECT_EQ(*r->ips[1].interface, 1);
  EXPECT_EQ(*r->routes[0].mtu, 1300u);
  Json out = ResultToJson(*r, "1.1.0");
  EXPECT_EQ(out, Json::parse(kResult));
}

TEST(Result, WritesOlderFormats) {
  auto r = ResultFromJson(Json::parse(kResult));
  ASSERT_TRUE(r);
  Json v031 = ResultToJson(*r, "0.3.1");
  EXPECT_EQ(v031["cniVersion"], "0.3.1");
  EXPECT_EQ(v031["ips"][0]["version"], "4");
  EXPECT_EQ(v031["ips"][1]["version"], "6");
  EXPECT_FALSE(v031["interfaces"][1].contains("mtu"));
  EXPECT_FALSE(v031["routes"][0].contains("mtu"));
  Json v100 = ResultToJson(*r, "1.0.0");
  EXPECT_FALSE(v100["ips"][0].contains("version"));
  EXPECT_FALSE(v100["routes"][0].contains("priority"));
}

TEST(Result, RejectsMalformedValuesWithDecodingError) {
  for (const char* bad : {R"({"ips": [{"address": "10.1.0.5"}]})",
                          R"({"ips": [{"address": "10.1.0.5/16", "interface": 3}]})",
                          R"({"ips": [{"address": "10.1.0.5/16", "gateway": "fd00::1"}]})",
                          R"({"routes": [{"dst": "nope"}]})", R"({"interfaces": "x"})",
                          R"({"dns": {"nameservers": "10.0.0.1"}})"}) {
    auto r = ResultFromJson(Json::parse(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, kDecodingFailure) << bad;
  }
}

}  // namespace
}  // namespace capstan::cni

#include "cni-plugins/lib/ip.h"

#include <gtest/gtest.h>

namespace capstan::cni {
namespace {

TEST(IpAddr, ParsesAndPrintsCanonically) {
  EXPECT_EQ(IpAddr::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddr::Parse("fd00:0:0::1")->ToString(), "fd00::1");
  EXPECT_TRUE(IpAddr::Parse("::ffff:10.1.2.3")->is_v4());
  EXPECT_FALSE(IpAddr::Parse("10.1.2"));
  EXPECT_FALSE(IpAddr::Parse("010.1.2.3x"));
  EXPECT_FALSE(IpAddr::Parse(""));
  EXPECT_FALSE(IpAddr::Parse("1.2.3.4/24"));
}

TEST(IpAddr, Arithmetic) {
  EXPECT_EQ(IpAddr::Parse("10.0.0.255")->Next().ToString(), "10.0.1.0");
  EXPECT_EQ(IpAddr::Parse("10.0.1.0")->Prev().ToString(), "10.0.0.255");
  EXPECT_EQ(IpAddr::Parse("fd00::ffff")->Next().ToString(), "fd00::1:0");
  EXPECT_EQ(IpAddr::Parse("10.1.2.3")->Masked(16).ToString(), "10.1.0.0");
  EXPECT_EQ(IpAddr::Parse("10.1.2.3")->Filled(20).ToString(), "10.1.15.255");
  EXPECT_EQ(IpAddr::Parse("fd00::1")->Filled(120).ToString(), "fd00::ff");
  EXPECT_LT(*IpAddr::Parse("10.0.0.9"), *IpAddr::Parse("10.0.0.10"));
  EXPECT_LT(*IpAddr::Parse("255.0.0.0"), *IpAddr::Parse("::1"));  // v4 sorts first
}

TEST(IpNet, ParsesAndContains) {
  auto n = IpNet::Parse("10.1.2.3/16");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ToString(), "10.1.2.3/16");
  EXPECT_EQ(n->Network().ToString(), "10.1.0.0/16");
  EXPECT_TRUE(n->Contains(*IpAddr::Parse("10.1.255.255")));
  EXPECT_FALSE(n->Contains(*IpAddr::Parse("10.2.0.0")));
  EXPECT_FALSE(n->Contains(*IpAddr::Parse("fd00::1")));
  EXPECT_TRUE(IpNet::Parse("10.0.0.0/8")->Overlaps(*IpNet::Parse("10.9.0.0/16")));
  EXPECT_FALSE(IpNet::Parse("10.0.0.0/16")->Overlaps(*IpNet::Parse("10.1.0.0/16")));
  EXPECT_FALSE(IpNet::Parse("10.0.0.0/33"));
  EXPECT_FALSE(IpNet::Parse("10.0.0.0/-1"));
  EXPECT_FALSE(IpNet::Parse("10.0.0.0"));
  EXPECT_FALSE(IpNet::Parse("10.0.0.0/"));
  EXPECT_FALSE(IpNet::Parse("::ffff:10.0.0.0/104"));
  EXPECT_TRUE(IpNet::Parse("::/0"));
}

}  // namespace
}  // namespace capstan::cni

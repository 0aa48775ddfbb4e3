#include <gtest/gtest.h>
#include <sys/mount.h>

#include "cri/oci/capabilities.h"
#include "cri/oci/rootfs.h"
#include "cri/oci/seccomp.h"
#include "cri/oci/spec.h"

namespace capstan::cri::oci {
namespace {

TEST(CapabilitiesTest, DefaultAddDrop) {
  auto caps = ComputeCapabilities({"NET_ADMIN"}, {"CAP_KILL", "chown"});
  ASSERT_TRUE(caps);
  auto has = [&](const std::string& c) {
    return std::find(caps->begin(), caps->end(), c) != caps->end();
  };
  EXPECT_TRUE(has("CAP_NET_ADMIN"));
  EXPECT_TRUE(has("CAP_SETUID"));
  EXPECT_FALSE(has("CAP_KILL"));
  EXPECT_FALSE(has("CAP_CHOWN"));
  EXPECT_FALSE(has("CAP_SYS_ADMIN"));
}

TEST(CapabilitiesTest, AllInDropThenAdd) {
  auto caps = ComputeCapabilities({"NET_BIND_SERVICE"}, {"ALL"});
  ASSERT_TRUE(caps);
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  auto all = ComputeCapabilities({"ALL"}, {});
  ASSERT_TRUE(all);
  EXPECT_GT(all->size(), 35u);
}

TEST(CapabilitiesTest, UnknownNameIsInvalidArgument) {
  auto caps = ComputeCapabilities({"CAP_NOPE"}, {});
  ASSERT_FALSE(caps);
  EXPECT_EQ(caps.error().code(), Code::kInvalidArgument);
  EXPECT_NE(caps.error().message().find("CAP_NOPE"), std::string::npos);
}

TEST(SpecTest, JsonRoundTrip) {
  ContainerSpec s;
  s.id = "abc";
  s.rootfs = "/r";
  s.process.args = {"sh", "-c", "echo"};
  s.process.uid = 1000;
  s.process.oom_score_adj = -5;
  s.security.seccomp = SeccompKind::kLocalhost;
  s.security.seccomp_profile = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
  s.namespaces.pid = NamespaceSpec::Pid::kNode;
  s.mounts.push_back({"/a", "/b", "bind", {"rbind", "ro"}});
  auto back = SpecFromJson(SpecToJson(s));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->process.args, s.process.args);
  EXPECT_EQ(back->process.uid, 1000u);
  EXPECT_EQ(back->process.oom_score_adj, -5);
  EXPECT_EQ(back->security.seccomp, SeccompKind::kLocalhost);
  EXPECT_EQ(back->namespaces.pid, NamespaceSpec::Pid::kNode);
  ASSERT_EQ(back->mounts.size(), 1u);
  EXPECT_EQ(back->mounts[0].options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_FALSE(SpecFromJson("{not json"));
}

TEST(MountOptionsTest, SplitsFlagsPropagationAndData) {
  auto o = ParseMountOptions({"rbind", "ro", "nosuid", "rslave", "mode=755", "size=1k"});
  EXPECT_TRUE(o.bind);
  EXPECT_TRUE(o.recursive);
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(o.data, "mode=755,size=1k");
}

TEST(SeccompTest, ValidatesProfiles) {
  EXPECT_TRUE(ValidateSeccompProfile(R"({"defaultAction":"SCMP_ACT_ERRNO",
      "architectures":["SCMP_ARCH_X86_64"],
      "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                  {"names":["personality"],"action":"SCMP_ACT_ALLOW",
                   "args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]})"));
  auto bad = ValidateSeccompProfile(R"({"defaultAction":"SCMP_ACT_EXPLODE"})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("SCMP_ACT_EXPLODE"), std::string::npos);
  EXPECT_FALSE(ValidateSeccompProfile("[]"));
  EXPECT_FALSE(ValidateSeccompProfile("{"));
}

}  // namespace
}  // namespace capstan::cri::oci

// Pure pieces of the runtime: config, users, sysctls, pod files, signals, records.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "common/file.h"
#include "cri/runtime/config.h"
#include "cri/runtime/image_user.h"
#include "cri/runtime/namespaces.h"
#include "cri/runtime/record_store.h"
#include "cri/runtime/sandbox_files.h"
#include "cri/runtime/signals.h"

namespace capstan::cri::runtime {
namespace {

TEST(ConfigTest, ParsesOverDefaults) {
  auto c = ParseRuntimeConfig(R"(
root: /tmp/r
registry:
  insecure: ["127.0.0.1:5000"]
  mirrors:
    docker.io: ["http://127.0.0.1:5000"]
runtime:
  pids_limit: 100
  default_rlimits: {RLIMIT_NOFILE: [1024, 4096]}
)");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->root, "/tmp/r");
  EXPECT_EQ(c->state, "/run/capstan");
  EXPECT_EQ(c->insecure_registries, std::vector<std::string>{"127.0.0.1:5000"});
  EXPECT_EQ(c->registry_mirrors["docker.io"][0], "http://127.0.0.1:5000");
  EXPECT_EQ(c->pids_limit, 100);
  EXPECT_EQ(c->default_rlimits["RLIMIT_NOFILE"].first, 1024u);
  EXPECT_EQ(c->default_rlimits["RLIMIT_NOFILE"].second, 4096u);
}

TEST(ConfigTest, UnknownKeysAndBadTypesNameTheKey) {
  auto c = ParseRuntimeConfig("roots: /x\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("roots"), std::string::npos);
  c = ParseRuntimeConfig("runtime:\n  pids_limit: lots\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("runtime.pids_limit"), std::string::npos);
  c = ParseRuntimeConfig("cgroup_driver: magic\n");
  ASSERT_FALSE(c);
}

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:1000:1000::/home/app:/bin/sh\n"
    "nobody:x:65534:65534::/:/bin/false\n"
    "broken line\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "app:x:1000:\n"
    "audio:x:29:app,other\n"
    "video:x:44:app\n";

TEST(ImageUserTest, ResolvesNamesIdsAndGroups) {
  auto r = ResolveUser("app", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 1000u);
  EXPECT_EQ(r->additional_gids, (std::vector<gid_t>{29, 44}));
  r = ResolveUser("1000:44", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gid, 44u);
  r = ResolveUser("4242", kPasswd, kGroup);  // numeric ids need no entry
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 4242u);
  EXPECT_EQ(r->gid, 0u);
  r = ResolveUser("nobody:video", kPasswd, kGroup);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gid, 44u);
  EXPECT_FALSE(ResolveUser("ghost", kPasswd, kGroup));
  EXPECT_FALSE(ResolveUser("app:ghosts", kPasswd, kGroup));
  EXPECT_EQ(ResolveUser("", kPasswd, kGroup)->uid, 0u);
}

TEST(SysctlTest, OnlyNamespacedSysctls) {
  EXPECT_TRUE(
      ValidateSysctls({{"net.ipv4.ip_forward", "1"}, {"kernel.shm_rmid_forced", "1"}}, true, true));
  EXPECT_FALSE(ValidateSysctls({{"kernel.panic", "1"}}, true, true));
  EXPECT_FALSE(ValidateSysctls({{"net.core.somaxconn", "1"}}, false, true));
  EXPECT_FALSE(ValidateSysctls({{"kernel.msgmax", "1"}}, true, false));
  EXPECT_FALSE(ValidateSysctls({{"net/../../etc", "1"}}, true, true));
  EXPECT_FALSE(ValidateSysctls({{"net.ipv4.x", "1\n2"}}, true, true));
}

TEST(SandboxFilesTest, ResolvConfFromDnsConfig) {
  ::runtime::v1::DNSConfig dns;
  EXPECT_EQ(ResolvConf(dns, "nameserver 1.1.1.1\n"), "nameserver 1.1.1.1\n");
  dns.add_servers("10.96.0.10");
  dns.add_searches("default.svc.cluster.local");
  dns.add_searches("svc.cluster.local");
  dns.add_options("ndots:5");
  EXPECT_EQ(ResolvConf(dns, "ignored"),
            "search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\n"
            "options ndots:5\n");
  EXPECT_NE(HostsFile("web").find("127.0.1.1\tweb\n"), std::string::npos);
}

TEST(SignalsTest, Names) {
  EXPECT_EQ(SignalNumber("SIGQUIT"), SIGQUIT);
  EXPECT_EQ(SignalNumber("TERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("9"), SIGKILL);
  EXPECT_EQ(SignalNumber("SIGNOPE"), std::nullopt);
  EXPECT_EQ(SignalNumber(""), std::nullopt);
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-records-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RecordStoreTest, PersistsLoadsAndFindsByPrefix) {
  {
    RecordStore store(dir_);
    ASSERT_TRUE(store.Load());
    auto s = std::make_shared<SandboxRecord>();
    s->id = "abcdef0123";
    s->config.mutable_metadata()->set_name("web");
    s->config.mutable_metadata()->set_namespace_("default");
    (*s->config.mutable_labels())["app"] = "web";
    s->state = ::runtime::v1::SANDBOX_READY;
    ASSERT_TRUE(store.Persist(*s));
    auto c = std::make_shared<ContainerRecord>();
    c->id = "abc999";
    c->sandbox_id = s->id;
    c->config.mutable_metadata()->set_name("app");
    c->state = ::runtime::v1::CONTAINER_RUNNING;
    c->pid = 42;
    ASSERT_TRUE(store.Persist(*c));
    // A creation that crashed before its record was written.
    ASSERT_TRUE(MkdirAll(dir_ + "/containers/half-made"));
  }
  RecordStore store(dir_);
  auto orphans = store.Load();
  ASSERT_TRUE(orphans);
  EXPECT_EQ(orphans->container_dirs, std::vector<std::string>{"half-made"});
  auto s = store.Sandbox("abcd");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->config.labels().at("app"), "web");
  EXPECT_EQ((*s)->state, ::runtime::v1::SANDBOX_READY);
  auto c = store.Container("abc9");
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->pid, 42);
  // "abc" prefixes both a sandbox and a container id, but the maps are separate.
  EXPECT_TRUE(store.Container("abc"));
  EXPECT_EQ(store.Container("zzz").error().code(), Code::kNotFound);
  // Names survive a reload.
  EXPECT_EQ(store.ReserveName(SandboxName((*s)->config.metadata()), "other").error().code(),
            Code::kAlreadyExists);
}

TEST_F(RecordStoreTest, AmbiguousPrefixIsNotFound) {
  RecordStore store(dir_);
  ASSERT_TRUE(store.Load());
  for (const char* id : {"aa11", "aa22"}) {
    auto c = std::make_shared<ContainerRecord>();
    c->id = id;
    store.Add(c);
  }
  auto r = store.Container("aa");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ambiguous"), std::string::npos);
  EXPECT_TRUE(store.Container("aa1"));
}

}  // namespace
}  // namespace capstan::cri::runtime

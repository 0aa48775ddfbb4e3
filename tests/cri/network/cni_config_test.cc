#include "cri/network/cni_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cri/network/capability_args.h"
#include "cri/network/default_config.h"
#include "cri/network/result_cache.h"

namespace capstan::cri::network {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/capstan-cni-conf-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

TEST(CniConfig, ParsesListsAndWrapsSingleConfigs) {
  auto l = ParseConfList(R"({"cniVersion": "1.0.0", "cniVersions": ["1.1.0"], "name": "net1",
      "disableCheck": true, "plugins": [{"type": "bridge"}, {"type": "portmap"}]})");
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ(l->name, "net1");
  EXPECT_TRUE(l->disable_check);
  EXPECT_EQ(l->plugins.size(), 2u);
  EXPECT_EQ(CandidateVersions(*l), (std::vector<std::string>{"1.1.0", "1.0.0"}));

  auto s = ParseSingleConf(R"({"cniVersion": "0.4.0", "name": "one", "type": "bridge"})");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->plugins.size(), 1u);
  auto rewrapped = ParseConfList(s->bytes);
  ASSERT_TRUE(rewrapped);
  EXPECT_EQ(rewrapped->plugins[0]["type"], "bridge");
}

TEST(CniConfig, RejectsWhatItCannotRun) {
  for (
      const char* bad : {
          "nope",
          "[]",
          R"({"name": "n", "plugins": [{"type": "x"}]})",
          R"({"cniVersion": "1.0.0", "name": "../n", "plugins": [{"type": "x"}]})",
          R"({"cniVersion": "1.0.0", "name": "n", "plugins": []})",
          R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "../../bin/sh"}]})",
          R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "b", "ipam": {"type": "a/b"}}]})",
          R"({"cniVersion": "0.2.0", "name": "n", "plugins": [{"type": "x"}]})",
          R"({"cniVersion": "1.0.0", "name": "n", "disableCheck": "yes", "plugins": [{"type": "x"}]})",
      }) {
    EXPECT_FALSE(ParseConfList(bad)) << bad;
  }
  EXPECT_LT(CompareCniVersions("0.4.0", "1.0.0"), 0);
  EXPECT_GT(CompareCniVersions("1.10.0", "1.9.0"), 0);
  EXPECT_EQ(CompareCniVersions("1.0.0", "1.0.0"), 0);
}

TEST(CniConfig, LoadsTheFirstValidFileInNameOrder) {
  TempDir d;
  EXPECT_FALSE(LoadFirstConfig(d.path() + "/missing").config);
  d.Write("05-broken.conflist", "{");
  d.Write("10-b.conflist", R"({"cniVersion": "1.0.0", "name": "b", "plugins": [{"type": "x"}]})");
  d.Write("20-a.conf", R"({"cniVersion": "1.0.0", "name": "a", "type": "x"})");
  d.Write("00-ignored.txt", "whatever");
  auto loaded = LoadFirstConfig(d.path());
  ASSERT_TRUE(loaded.config);
  EXPECT_EQ(loaded.config->name, "b");
  ASSERT_EQ(loaded.skipped.size(), 1u);
  EXPECT_NE(loaded.skipped[0].find("05-broken"), std::string::npos);
}

TEST(DefaultConfig, IsValidAndIsWhatPackagingShips) {
  std::string text = DefaultConflist();
  auto l = ParseConfList(text);
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ(l->name, "capstan");
  ASSERT_EQ(l->plugins.size(), 3u);
  EXPECT_EQ(l->plugins[0]["bridge"], "cni0");
  EXPECT_EQ(l->plugins[0]["ipam"]["ranges"][0][0]["subnet"], "10.88.0.0/16");
  EXPECT_EQ(l->plugins[1]["capabilities"]["portMappings"], true);
  std::ifstream in(std::string(CAPSTAN_SOURCE_DIR) + "/packaging/cni/10-capstan.conflist");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), text) << "regenerate packaging/cni/10-capstan.conflist";

  TempDir d;
  auto wrote = WriteDefaultConflist(d.path());
  ASSERT_TRUE(wrote);
  EXPECT_TRUE(*wrote);
  EXPECT_FALSE(*WriteDefaultConflist(d.path()));  // never overwrites a config
}

TEST(CapabilityArgs, FromTheSandboxConfig) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("web");
  c.mutable_metadata()->set_namespace_("prod");
  c.mutable_metadata()->set_uid("u-1");
  auto* p = c.add_port_mappings();
  p->set_container_port(80);
  p->set_host_port(8080);
  auto* q = c.add_port_mappings();
  q->set_container_port(53);
  q->set_host_port(5353);
  q->set_protocol(::runtime::v1::UDP);
  q->set_host_ip("127.0.0.1");
  c.add_port_mappings()->set_container_port(9000);  // no hostPort: not mapped
  c.mutable_dns_config()->add_servers("10.96.0.10");
  c.mutable_dns_config()->add_searches("svc.cluster.local");
  (*c.mutable_annotations())["kubernetes.io/ingress-bandwidth"] = "10M";
  (*c.mutable_annotations())["kubernetes.io/egress-bandwidth"] = "1Gi";
  auto caps = PodCapabilityArgs(&c, {"10.244.1.0/24"});
  EXPECT_EQ(caps["portMappings"], nlohmann::json::parse(R"([
      {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
      {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"}])"));
  EXPECT_EQ(caps["dns"]["servers"][0], "10.96.0.10");
  EXPECT_EQ(caps["bandwidth"]["ingressRate"], 10000000u);
  EXPECT_EQ(caps["bandwidth"]["egressRate"], 1073741824u);
  EXPECT_EQ(caps["ipRanges"], nlohmann::json::parse(R"([[{"subnet": "10.244.1.0/24"}]])"));
  EXPECT_EQ(JoinCniArgs(PodCniArgs("sb1", &c)),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;"
            "K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=u-1");
  EXPECT_TRUE(PodCapabilityArgs(nullptr, {}).empty());
  EXPECT_FALSE(ParseQuantity("ten"));
  EXPECT_EQ(*ParseQuantity("500k"), 500000u);
}

TEST(ResultCache, LibcniFormat) {
  TempDir d;
  ResultCache cache(d.path());
  CachedAttachment a{"sb1",
                     "eth0",
                     "net1",
                     "/run/netns/x",
                     R"({"name":"net1"})",
                     {{"IgnoreUnknown", "1"}},
                     nlohmann::json{{"portMappings", 1}},
                     nlohmann::json{{"cniVersion", "1.0.0"}}};
  ASSERT_TRUE(cache.Save(a));
  std::string path = d.path() + "/results/net1-sb1-eth0";
  ASSERT_TRUE(std::filesystem::exists(path));
  std::ifstream in(path);
  auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["kind"], "cniCacheV1");
  EXPECT_EQ(j["config"], Base64Encode(R"({"name":"net1"})"));
  EXPECT_EQ(j["cniArgs"][0][0], "IgnoreUnknown");
  auto found = cache.Find("sb1", "eth0");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].config_bytes, a.config_bytes);
  EXPECT_EQ((*found)[0].result, a.result);
  EXPECT_TRUE(cache.Find("sb", "eth0")->empty());
  ASSERT_TRUE(cache.Remove(a));
  ASSERT_TRUE(cache.Remove(a));
  EXPECT_TRUE(cache.All()->empty());
  a.container_id = "../x";
  EXPECT_FALSE(cache.Save(a));
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9v!"));
}

}  // namespace
}  // namespace capstan::cri::network

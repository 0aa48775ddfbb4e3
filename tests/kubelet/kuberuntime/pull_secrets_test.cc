// imagePullSecrets to CRI AuthConfig: which registry keys match which images.
#include "kubelet/kuberuntime/pull_secrets.h"

#include <gtest/gtest.h>

#include "common/pki/base64.h"

namespace capstan::kubelet::kuberuntime {
namespace {

std::map<std::string, std::string> DockerConfigJson(const std::string& auths) {
  return {{".dockerconfigjson", R"({"auths": {)" + auths + "}}"}};
}

std::vector<std::string> Servers(const std::vector<api::cri::v1::AuthConfig>& creds) {
  std::vector<std::string> out;
  for (const auto& c : creds) out.push_back(c.server_address() + "=" + c.username());
  return out;
}

TEST(PullSecretsTest, MatchesRegistryHostAndPath) {
  auto secret = DockerConfigJson(
      R"("registry.corp:5000": {"username": "a", "password": "pa"},
         "https://registry.corp:5000/team/": {"username": "b", "password": "pb"},
         "other.io": {"username": "c", "password": "pc"})");
  EXPECT_EQ(
      Servers(CredentialsFor("registry.corp:5000/team/app:1.0", {secret})),
      (std::vector<std::string>{"https://registry.corp:5000/team/=b", "registry.corp:5000=a"}));
  EXPECT_EQ(Servers(CredentialsFor("registry.corp:5000/teamwork/app", {secret})),
            std::vector<std::string>{"registry.corp:5000=a"});
  EXPECT_TRUE(CredentialsFor("busybox", {secret}).empty());
}

TEST(PullSecretsTest, DockerHubKeysAndShortNames) {
  auto hub = DockerConfigJson(R"("https://index.docker.io/v1/": {"auth": ")" +
                              pki::Base64Encode("user:secret") + R"("})");
  auto creds = CredentialsFor("busybox:1.36", {hub});
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(creds[0].username(), "user");  // from "auth"
  EXPECT_EQ(creds[0].password(), "secret");
  EXPECT_EQ(CredentialsFor("docker.io/library/busybox", {hub}).size(), 1u);
  EXPECT_TRUE(CredentialsFor("quay.io/busybox", {hub}).empty());
}

TEST(PullSecretsTest, GlobsLegacyDockercfgAndJunk) {
  std::map<std::string, std::string> legacy = {
      {".dockercfg", R"({"*.corp.example": {"username": "g", "password": "x"}})"}};
  EXPECT_EQ(Servers(CredentialsFor("eu.corp.example/app", {legacy})),
            std::vector<std::string>{"*.corp.example=g"});
  EXPECT_TRUE(CredentialsFor("a.eu.corp.example/app", {legacy}).empty());  // one label per *
  std::map<std::string, std::string> junk = {{".dockerconfigjson", "{not json"}};
  std::map<std::string, std::string> opaque = {{"password", "x"}};
  EXPECT_TRUE(CredentialsFor("eu.corp.example/app", {junk, opaque}).empty());
}

}  // namespace
}  // namespace capstan::kubelet::kuberuntime

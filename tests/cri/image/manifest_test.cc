#include "cri/image/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cri/image/digest.h"
#include "cri/image/http_client.h"
#include "cri/image/registry_auth.h"
#include "cri/image/registry_client.h"

namespace capstan::cri::image {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kD1 = Sha256Digest("1");
const std::string kD2 = Sha256Digest("2");
const std::string kD3 = Sha256Digest("3");

TEST(ImageManifestTest, ClassifiesByContentTypeOrBody) {
  EXPECT_EQ(*ClassifyManifest(std::string(kMediaTypeOciIndex), "{}"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest(std::string(kMediaTypeDockerManifest) + "; charset=utf-8", "{}"),
            ManifestKind::kManifest);
  EXPECT_EQ(*ClassifyManifest("application/json", R"({"manifests":[]})"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest("", R"({"mediaType":"application/vnd.oci.image.manifest.v1+json"})"),
            ManifestKind::kManifest);
  auto s1 = ClassifyManifest("application/vnd.docker.distribution.manifest.v1+prettyjws", "{}");
  ASSERT_FALSE(s1);
  EXPECT_THAT(s1.error().message(), HasSubstr("schema 1"));
  EXPECT_FALSE(ClassifyManifest("application/json", "not json"));
  EXPECT_FALSE(ClassifyManifest("application/json", R"({"mediaType":"application/json"})"));
}

TEST(ImageManifestTest, ParsesManifestAndRefusesBadFields) {
  std::string body =
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kD1 +
      R"(","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
      kD2 + R"(","size":20}]})";
  auto m = ParseManifest(body);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->config.digest, kD1);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 20u);

  auto bad_digest = ParseManifest(R"({"config":{"digest":"sha256:xyz","size":1},"layers":[]})");
  ASSERT_FALSE(bad_digest);
  EXPECT_THAT(bad_digest.error().message(), HasSubstr("manifest.config.digest"));
  auto bad_size = ParseManifest(R"({"config":{"digest":")" + kD1 + R"(","size":-1},"layers":[]})");
  ASSERT_FALSE(bad_size);
  EXPECT_THAT(bad_size.error().message(), HasSubstr("manifest.config.size"));
  auto bad_type = ParseManifest(R"({"config":{"digest":")" + kD1 +
                                R"(","size":1},"layers":[{"mediaType":"text/html","digest":")" +
                                kD2 + R"(","size":1}]})");
  ASSERT_FALSE(bad_type);
  EXPECT_THAT(bad_type.error().message(), HasSubstr("manifest.layers[0].mediaType"));
  EXPECT_FALSE(ParseManifest("[1,2,3]"));
}

TEST(ImageManifestTest, SelectsHostPlatformFromIndex) {
  std::string body = R"({"manifests":[
    {"digest":")" + kD1 +
                     R"(","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
    {"digest":")" + kD2 +
                     R"(","size":1,"platform":{"os":"linux","architecture":"arm64"}},
    {"digest":")" + kD3 +
                     R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto idx = ParseIndex(body);
  ASSERT_TRUE(idx) << idx.error().message();
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "amd64", ""})->digest, kD3);
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "arm64", "v8"})->digest, kD2);
  auto none = SelectPlatform(*idx, {"linux", "s390x", ""});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kNotFound);
  EXPECT_THAT(none.error().message(), HasSubstr("linux/arm/v7"));
}

TEST(ImageManifestTest, ParsesImageConfig) {
  std::string body = R"({"os":"linux","architecture":"amd64","config":{
      "User":"1000:1000","Env":["PATH=/bin","A=b"],"Entrypoint":["/bin/sh","-c"],"Cmd":null,
      "WorkingDir":"/w","Labels":{"k":"v"},"Volumes":{"/data":{},"/cache":{}},
      "StopSignal":"SIGQUIT"},"rootfs":{"type":"layers","diff_ids":[")" +
                     kD1 + R"("]}})";
  auto c = ParseConfig(body);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->config.user, "1000:1000");
  EXPECT_THAT(c->config.env, ElementsAre("PATH=/bin", "A=b"));
  EXPECT_THAT(c->config.entrypoint, ElementsAre("/bin/sh", "-c"));
  EXPECT_TRUE(c->config.cmd.empty());
  EXPECT_EQ(c->config.working_dir, "/w");
  EXPECT_EQ(c->config.labels.at("k"), "v");
  EXPECT_THAT(c->config.volumes, ElementsAre("/cache", "/data"));
  EXPECT_EQ(c->config.stop_signal, "SIGQUIT");
  EXPECT_THAT(c->diff_ids, ElementsAre(kD1));

  auto bad = ParseConfig(R"({"config":{"Env":"PATH=/bin"},"rootfs":{"diff_ids":[]}})");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("Env"));
  EXPECT_FALSE(ParseConfig(R"({"config":{}})"));  // no rootfs
}

TEST(ImageRegistryAuthTest, ParsesChallenges) {
  auto c = ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c->params.at("service"), "registry.docker.io");
  EXPECT_EQ(c->params.at("scope"), "repository:library/busybox:pull");

  auto b = ParseChallenge(R"(Basic realm="my \"realm\"", charset=UTF-8)");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, "basic");
  EXPECT_EQ(b->params.at("realm"), "my \"realm\"");
  EXPECT_EQ(b->params.at("charset"), "UTF-8");
  EXPECT_FALSE(ParseChallenge(""));
  EXPECT_FALSE(ParseChallenge(R"(Bearer realm="unterminated)"));
}

TEST(ImageRegistryAuthTest, DecodesAuthField) {
  AuthConfig a;
  a.auth = Base64Encode("user:p:ss");
  auto c = ToCredentials(a);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "user");
  EXPECT_EQ(c->password, "p:ss");
  EXPECT_EQ(BasicAuthorization(*c), "Basic " + Base64Encode("user:p:ss"));
  a.auth = "!!!";
  EXPECT_FALSE(ToCredentials(a));
  EXPECT_EQ(*Base64Decode(Base64Encode("ab")), "ab");
  EXPECT_EQ(*Base64Decode(Base64Encode("abc")), "abc");
  EXPECT_EQ(*Base64Decode(Base64Encode("a")), "a");
}

TEST(ImageRegistryEndpointsTest, MirrorsThenHostHttpOnlyWhenInsecure) {
  RegistryConfig cfg;
  cfg.insecure = {"127.0.0.1:5000", "mirror.local"};
  cfg.mirrors["docker.io"] = {"http://127.0.0.1:5000/", "mirror.local", "https://m.example/v2"};
  auto hub = ResolveEndpoints(cfg, "docker.io");
  std::vector<Endpoint> want = {
      {"http://127.0.0.1:5000", false, true},        {"https://mirror.local", false, true},
      {"http://mirror.local", false, true},          {"https://m.example", true, true},
      {"https://registry-1.docker.io", true, false},
  };
  EXPECT_EQ(hub, want);
  std::vector<Endpoint> local = {{"https://127.0.0.1:5000", false, false},
                                 {"http://127.0.0.1:5000", false, false}};
  EXPECT_EQ(ResolveEndpoints(cfg, "127.0.0.1:5000"), local);
  std::vector<Endpoint> secure = {{"https://quay.io", true, false}};
  EXPECT_EQ(ResolveEndpoints(cfg, "quay.io"), secure);
}

}  // namespace
}  // namespace capstan::cri::image

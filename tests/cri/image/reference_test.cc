#include "cri/image/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::cri::image {
namespace {

using ::testing::HasSubstr;

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Norm(std::string_view s) {
  auto r = ParseReference(s);
  return r ? r->String() : "error: " + r.error().message();
}

TEST(ImageReferenceTest, NormalizesDockerHubNames) {
  EXPECT_EQ(Norm("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(Norm("library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("index.docker.io/library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("bitnami/nginx:1.25"), "docker.io/bitnami/nginx:1.25");
}

TEST(ImageReferenceTest, KeepsOtherRegistries) {
  EXPECT_EQ(Norm("127.0.0.1:5000/busybox:1.0"), "127.0.0.1:5000/busybox:1.0");
  EXPECT_EQ(Norm("localhost/app"), "localhost/app:latest");
  EXPECT_EQ(Norm("localhost:5000/a/b/c"), "localhost:5000/a/b/c:latest");
  EXPECT_EQ(Norm("registry.k8s.io/pause:3.9"), "registry.k8s.io/pause:3.9");
  EXPECT_EQ(Norm("[::1]:5000/x"), "[::1]:5000/x:latest");
  auto r = ParseReference("127.0.0.1:5000/busybox:1.0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "127.0.0.1:5000");
  EXPECT_EQ(r->path, "busybox");
  EXPECT_EQ(r->tag, "1.0");
  EXPECT_EQ(r->Name(), "127.0.0.1:5000/busybox");
}

TEST(ImageReferenceTest, Digests) {
  auto r = ParseReference("busybox@" + kDigest);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->tag, "");  // no default tag with a digest
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(r->String(), "docker.io/library/busybox@" + kDigest);
  EXPECT_EQ(Norm("q.io/a:v1@" + kDigest), "q.io/a:v1@" + kDigest);
}

TEST(ImageReferenceTest, RejectsBadInputWithClearErrors) {
  struct Case {
    std::string ref, want;
  } cases[] = {
      {"", "empty"},
      {"BusyBox", "lowercase"},
      {"busybox:", "invalid tag"},
      {"busybox:-bad", "invalid tag"},
      {"busybox:" + std::string(129, 'a'), "invalid tag"},
      {"busybox@sha256:abc", "64 lowercase hex"},
      {"busybox@md5:0123", "unsupported digest algorithm"},
      {"a//b", "invalid repository path component"},
      {"a/b_-c", "invalid repository path component"},
      {"-host.io/x", "invalid registry host"},
      {"host.io:99999999/x", "invalid registry host"},
      {std::string(64, 'a'), "image id"},
      {"x.io/" + std::string(300, 'a'), "longer than"},
  };
  for (const auto& c : cases) {
    auto r = ParseReference(c.ref);
    ASSERT_FALSE(r) << c.ref;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << c.ref;
    EXPECT_THAT(r.error().message(), HasSubstr(c.want)) << c.ref;
  }
}

TEST(ImageReferenceTest, AcceptsUnusualButValidNames) {
  EXPECT_EQ(Norm("a__b/c.d/e-f--g"), "docker.io/a__b/c.d/e-f--g:latest");
  EXPECT_EQ(Norm("x:V1_2.3-rc"), "docker.io/library/x:V1_2.3-rc");
}

}  // namespace
}  // namespace capstan::cri::image

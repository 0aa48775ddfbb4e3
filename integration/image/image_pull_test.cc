// Pulls and imports the busybox fixture image through the real registry protocol, and mounts
// the unpacked layers with the kernel's overlayfs.

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file.h"
#include "common/scope_exit.h"
#include "cri/image/store.h"
#include "integration/fixtures/registry_fixture.h"

namespace capstan::cri::image {
namespace {

using integration::RegistryFixture;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct stat Lstat(const std::filesystem::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st;
}

std::string Xattr(const std::filesystem::path& p, const char* name) {
  char buf[64];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof(buf));
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

class ImagePullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      return;
    }
    auto r = RegistryFixture::Start();
    if (!r) {
      error_ = r.error().ToString();
      return;
    }
    registry_ = std::move(*r);
  }
  static void TearDownTestSuite() { registry_.reset(); }

  void SetUp() override {
    CAPSTAN_REQUIRE_REGISTRY(registry_, error_);
    auto dir = integration::MakeScratchDir("capstan-image-it-");
    ASSERT_TRUE(dir) << dir.error().ToString();
    dir_ = *dir;
    OpenStore(Insecure());
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      (void)RemoveAll(dir_);
    }
  }

  RegistryConfig Insecure() const {
    RegistryConfig cfg;
    cfg.insecure = {registry_->host()};
    return cfg;
  }
  void OpenStore(RegistryConfig cfg, std::string name = "store") {
    store_.reset();
    auto s = Store::Open(dir_ / name, std::move(cfg));
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }
  const integration::BusyboxImage& busybox() const { return registry_->busybox(); }
  std::filesystem::path root() const { return dir_ / "store"; }

  static inline std::unique_ptr<RegistryFixture> registry_;
  static inline std::string error_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ImagePullTest, PullsFromInsecureRegistryOverHttp) {
  auto img = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_TRUE(img) << img.error().ToString();
  EXPECT_EQ(img->id, busybox().config_digest);
  EXPECT_THAT(img->repo_tags, ElementsAre(registry_->host() + "/busybox:latest"));
  EXPECT_THAT(img->repo_digests,
              ElementsAre(registry_->host() + "/busybox@" + busybox().manifest_digest));
  EXPECT_EQ(img->size, busybox().size);
  EXPECT_THAT(img->config.cmd, ElementsAre("/bin/sh"));
  EXPECT_THAT(img->config.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
  EXPECT_EQ(img->config.labels.at("io.capstan.fixture"), "busybox");
  ASSERT_EQ(img->layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(img->layers[i], root() / "layers/sha256" / busybox().diff_ids[i].substr(7));
  }
  // Layer 1 (gzip): busybox and its applet links.
  EXPECT_EQ(Lstat(img->layers[0] / "bin/busybox").st_mode & 0777, 0755u);
  EXPECT_EQ(std::filesystem::read_symlink(img->layers[0] / "bin/sh"), "busybox");
  // Layer 2 (uncompressed): owners, sticky /tmp, private /root, xattrs.
  EXPECT_THAT(*ReadFile(img->layers[1] / "etc/passwd"), HasSubstr("app:x:1000:1000"));
  EXPECT_EQ(Lstat(img->layers[1] / "tmp").st_mode & 07777, 01777u);
  EXPECT_EQ(Lstat(img->layers[1] / "root").st_mode & 07777, 0700u);
  EXPECT_EQ(Lstat(img->layers[1] / "home/app").st_uid, 1000u);
  EXPECT_EQ(Xattr(img->layers[1] / "etc/hostname", "user.capstan"), "fixture");
  // Layer 3 (gzip): overlay whiteout, opaque dir, hard link.
  struct stat wh = Lstat(img->layers[2] / "usr/share/capstan/whiteout-me");
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  EXPECT_EQ(Xattr(img->layers[2] / "opt/opaque", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Lstat(img->layers[2] / "etc/capstan-fixture").st_ino,
            Lstat(img->layers[2] / "etc/capstan-fixture-link").st_ino);
  // And it is all there after a restart.
  OpenStore(Insecure());
  auto again = store_->Get("sha256:" + busybox().config_digest.substr(7, 12));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->layers, img->layers);
}

TEST_F(ImagePullTest, LayersMountAsOverlay) {
  auto img = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_TRUE(img) << img.error().ToString();
  std::filesystem::path merged = dir_ / "merged";
  std::filesystem::create_directory(merged);
  std::string lower;
  for (auto it = img->layers.rbegin(); it != img->layers.rend(); ++it) {
    lower += (lower.empty() ? "" : ":") + it->string();
  }
  std::string opts = "lowerdir=" + lower;
  if (::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) {
    GTEST_SKIP() << "overlay mount unavailable here: " << std::strerror(errno);
  }
  ScopeExit unmount([&] { ::umount2(merged.c_str(), MNT_DETACH); });
  EXPECT_TRUE(PathExists(merged / "bin/busybox"));
  EXPECT_TRUE(PathExists(merged / "bin/sh"));
  EXPECT_EQ(*ReadFile(merged / "etc/capstan-fixture"), "hello from layer 3\n");
  EXPECT_FALSE(PathExists(merged / "usr/share/capstan/whiteout-me"));  // whiteout
  EXPECT_FALSE(PathExists(merged / "opt/opaque/a"));                   // opaque dir
  EXPECT_TRUE(PathExists(merged / "opt/opaque/b"));
}

TEST_F(ImagePullTest, SecondPullIsIdempotentAndFetchesNoBlobs) {
  auto first = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_TRUE(first) << first.error().ToString();
  std::filesystem::path blob =
      root() / "content/blobs/sha256" / busybox().diff_ids[1].substr(7);  // layer 2 is plain
  ino_t inode = Lstat(blob).st_ino;
  ASSERT_NE(inode, 0u);
  auto start = std::chrono::steady_clock::now();
  auto second = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->repo_tags, first->repo_tags);
  EXPECT_EQ(second->repo_digests, first->repo_digests);
  EXPECT_EQ(Lstat(blob).st_ino, inode);  // not downloaded again
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(store_->List().size(), 1u);
}

TEST_F(ImagePullTest, PullsByDigest) {
  std::string ref = registry_->host() + "/busybox@" + busybox().manifest_digest;
  auto img = store_->Pull(ref, AuthConfig{});
  ASSERT_TRUE(img) << img.error().ToString();
  EXPECT_EQ(img->id, busybox().config_digest);
  EXPECT_THAT(img->repo_tags, IsEmpty());
  EXPECT_THAT(img->repo_digests, ElementsAre(ref));
  EXPECT_EQ(store_->Get(ref)->id, img->id);
}

TEST_F(ImagePullTest, MirrorServesDockerHubNameAndKeepsIt) {
  ASSERT_TRUE(registry_->PushRaw(busybox().oci_dir, "library/busybox:latest"));
  RegistryConfig cfg;
  cfg.mirrors["docker.io"] = {"http://" + registry_->host()};
  OpenStore(cfg, "mirror-store");
  auto img = store_->Pull("docker.io/library/busybox:latest", AuthConfig{});
  ASSERT_TRUE(img) << img.error().ToString();
  EXPECT_EQ(img->id, busybox().config_digest);
  EXPECT_THAT(img->repo_tags, ElementsAre("docker.io/library/busybox:latest"));
  EXPECT_THAT(img->repo_digests,
              ElementsAre("docker.io/library/busybox@" + busybox().manifest_digest));
  EXPECT_EQ(store_->Get("busybox")->id, img->id);
}

TEST_F(ImagePullTest, UnknownImageIsNotFound) {
  for (std::string ref :
       {registry_->host() + "/no-such-image:latest", registry_->host() + "/busybox:no-such-tag"}) {
    auto img = store_->Pull(ref, AuthConfig{});
    ASSERT_FALSE(img) << ref;
    EXPECT_EQ(img.error().code(), Code::kNotFound) << img.error().ToString();
    EXPECT_THAT(img.error().message(), HasSubstr(ref));
  }
  EXPECT_TRUE(store_->List().empty());
}

TEST_F(ImagePullTest, NeverFallsBackToHttpUnlessConfiguredInsecure) {
  OpenStore(RegistryConfig{}, "secure-store");
  auto img = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_FALSE(img);
  EXPECT_EQ(img.error().code(), Code::kUnavailable) << img.error().ToString();
  EXPECT_THAT(img.error().message(), HasSubstr("https://" + registry_->host()));
}

TEST_F(ImagePullTest, CorruptedBlobIsRefusedAndNothingKept) {
  // Layer 3 is small; flip its bytes in the registry's storage (same size).
  std::string layer3 = "sha256:597454e5bfbbd118b38ab754f4b723ebb145940f72550404cf3c07405ea6b34c";
  std::filesystem::path data = registry_->BlobPath(layer3);
  auto original = ReadFile(data);
  ASSERT_TRUE(original) << "fixture layer 3 changed? " << original.error().ToString();
  std::string corrupt = *original;
  for (size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 8; ++i) {
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  }
  ASSERT_TRUE(WriteFileAtomic(data, corrupt));
  ScopeExit restore([&] { (void)WriteFileAtomic(data, *original); });

  auto img = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_FALSE(img);
  EXPECT_EQ(img.error().code(), Code::kInvalidArgument) << img.error().ToString();
  EXPECT_THAT(img.error().message(), HasSubstr("digest mismatch"));
  EXPECT_THAT(img.error().message(), HasSubstr(layer3));
  EXPECT_TRUE(store_->List().empty());
  EXPECT_FALSE(PathExists(root() / "content/blobs/sha256" / layer3.substr(7)));
  EXPECT_TRUE(std::filesystem::is_empty(root() / "tmp"));
}

TEST_F(ImagePullTest, PullsGzipAndZstdVariants) {
  // skopeo gzips the uncompressed layer: every layer is gzip, the image id is the same.
  ASSERT_TRUE(registry_->PushSkopeo(busybox().oci_dir, "busybox-gzip:latest"));
  auto gz = store_->Pull(registry_->host() + "/busybox-gzip:latest", AuthConfig{});
  ASSERT_TRUE(gz) << gz.error().ToString();
  EXPECT_EQ(gz->id, busybox().config_digest);
  EXPECT_NE(gz->repo_digests.front(),
            registry_->host() + "/busybox-gzip@" + busybox().manifest_digest);
  if (busybox().zstd_oci_dir.empty()) {
    GTEST_SKIP() << "no zstd tool: zstd variant not built";
  }
  auto digest = registry_->PushRaw(busybox().zstd_oci_dir, "busybox:zstd");
  ASSERT_TRUE(digest) << digest.error().ToString();
  OpenStore(Insecure(), "zstd-store");
  auto zst = store_->Pull(registry_->host() + "/busybox:zstd", AuthConfig{});
  ASSERT_TRUE(zst) << zst.error().ToString();
  EXPECT_EQ(zst->id, busybox().config_digest);
  EXPECT_THAT(zst->repo_digests, ElementsAre(registry_->host() + "/busybox@" + *digest));
  EXPECT_TRUE(PathExists(zst->layers[0] / "bin/busybox"));
}

TEST_F(ImagePullTest, ImportsOciAndDockerArchiveTarballs) {
  auto oci = store_->Import(busybox().oci_tar);
  ASSERT_TRUE(oci) << oci.error().ToString();
  ASSERT_EQ(oci->size(), 1u);
  EXPECT_EQ(oci->front().id, busybox().config_digest);
  EXPECT_THAT(oci->front().repo_tags, ElementsAre("docker.io/library/busybox:latest"));
  auto docker = store_->Import(busybox().docker_tar);
  ASSERT_TRUE(docker) << docker.error().ToString();
  EXPECT_EQ(docker->front().id, busybox().config_digest);
  EXPECT_EQ(store_->List().size(), 1u);
  // The pulled image is the same image as the imported one.
  auto pulled = store_->Pull(registry_->BusyboxRef(), AuthConfig{});
  ASSERT_TRUE(pulled) << pulled.error().ToString();
  EXPECT_EQ(pulled->id, busybox().config_digest);
  EXPECT_THAT(pulled->repo_tags, Contains("docker.io/library/busybox:latest"));
  EXPECT_EQ(store_->List().size(), 1u);
  ASSERT_TRUE(store_->Remove("busybox"));
  EXPECT_TRUE(store_->List().empty());
  EXPECT_TRUE(std::filesystem::is_empty(root() / "layers/sha256"));
}

TEST_F(ImagePullTest, BearerTokenAuthWithBasicCredentialsAndBlobRedirects) {
  auto proxy = registry_->StartAuthProxy("bearer", "alice", "s3cret");
  ASSERT_TRUE(proxy) << proxy.error().ToString();
  RegistryConfig cfg;
  cfg.insecure = {*proxy};
  OpenStore(cfg, "bearer-store");
  std::string ref = *proxy + "/busybox:latest";

  auto anonymous = store_->Pull(ref, AuthConfig{});
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code(), Code::kPermissionDenied) << anonymous.error().ToString();
  AuthConfig wrong;
  wrong.username = "alice";
  wrong.password = "guess";
  auto refused = store_->Pull(ref, wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kPermissionDenied) << refused.error().ToString();
  EXPECT_TRUE(store_->List().empty());

  AuthConfig encoded;  // CRI's "auth" field: base64("user:password")
  encoded.auth = "YWxpY2U6czNjcmV0";
  auto img = store_->Pull(ref, encoded);
  ASSERT_TRUE(img) << img.error().ToString();
  EXPECT_EQ(img->id, busybox().config_digest);
  EXPECT_THAT(img->repo_tags, ElementsAre(ref));
}

TEST_F(ImagePullTest, BasicAuth) {
  auto proxy = registry_->StartAuthProxy("basic", "bob", "pw");
  ASSERT_TRUE(proxy) << proxy.error().ToString();
  RegistryConfig cfg;
  cfg.insecure = {*proxy};
  OpenStore(cfg, "basic-store");
  std::string ref = *proxy + "/busybox:latest";
  auto anonymous = store_->Pull(ref, AuthConfig{});
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code(), Code::kPermissionDenied) << anonymous.error().ToString();
  AuthConfig creds;
  creds.username = "bob";
  creds.password = "pw";
  auto img = store_->Pull(ref, creds);
  ASSERT_TRUE(img) << img.error().ToString();
  EXPECT_EQ(img->id, busybox().config_digest);
}

TEST_F(ImagePullTest, ConcurrentPullsOfTheSameImageBothSucceed) {
  Result<Image> a = Fail(Code::kInternal, "not run"), b = Fail(Code::kInternal, "not run");
  std::thread t1([&] { a = store_->Pull(registry_->BusyboxRef(), AuthConfig{}); });
  std::thread t2([&] { b = store_->Pull(registry_->BusyboxRef(), AuthConfig{}); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(store_->List().size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(root() / "tmp"));
}

}  // namespace
}  // namespace capstan::cri::image

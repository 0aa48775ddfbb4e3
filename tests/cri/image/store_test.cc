#include "cri/image/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file.h"
#include "cri/image/digest.h"
#include "tests/cri/image/image_builder.h"
#include "tests/cri/image/test_util.h"

namespace capstan::cri::image {
namespace {

using testing::Compression;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TarBuilder;
using testing::TempDir;
using testing::TestImage;
using ::testing::UnorderedElementsAre;

TarBuilder BaseLayer() {
  TarBuilder t;
  t.Dir("bin").File("bin/sh", "#!shell", 0755).Dir("etc").File("etc/os-release", "capstan");
  return t;
}

TarBuilder AppLayer(const std::string& name) {
  TarBuilder t;
  t.Dir("app").File("app/" + name, name);
  return t;
}

size_t CountEntries(const std::filesystem::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = Store::Open(root(), RegistryConfig{});
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }
  std::filesystem::path root() const { return tmp_.path() / "store"; }
  std::filesystem::path Tarball(const std::string& name, const std::string& data) {
    return testing::WriteTemp(tmp_.path(), name, data);
  }
  Result<std::vector<Image>> ImportDocker(const TestImage& img, std::vector<std::string> tags) {
    static int n = 0;
    return store_->Import(
        Tarball("docker" + std::to_string(n++) + ".tar", testing::DockerArchiveTar({{img, tags}})));
  }
  size_t Blobs() const { return CountEntries(root() / "content/blobs/sha256"); }
  size_t Layers() const { return CountEntries(root() / "layers/sha256"); }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(ImageStoreTest, ImportsDockerArchive) {
  TestImage img = testing::MakeImage({BaseLayer(), AppLayer("one")});
  auto r = ImportDocker(img, {"busybox:latest", "127.0.0.1:5000/app:1.0"});
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  const Image& got = r->front();
  EXPECT_EQ(got.id, img.id());
  EXPECT_THAT(got.repo_tags,
              ElementsAre("docker.io/library/busybox:latest", "127.0.0.1:5000/app:1.0"));
  ASSERT_EQ(got.repo_digests.size(), 2u);
  EXPECT_THAT(got.repo_digests[0], HasSubstr("docker.io/library/busybox@sha256:"));
  EXPECT_EQ(got.config.user, "1000");
  EXPECT_THAT(got.config.cmd, ElementsAre("/bin/sh"));
  EXPECT_EQ(got.config.working_dir, "/work");
  ASSERT_EQ(got.layers.size(), 2u);
  EXPECT_EQ(got.layers[0], root() / "layers/sha256" / Sha256Digest(img.tars[0]).substr(7));
  EXPECT_EQ(testing::Slurp(got.layers[0] / "etc/os-release"), "capstan");
  EXPECT_EQ(testing::Slurp(got.layers[1] / "app/one"), "one");
  EXPECT_GT(got.size, img.tars[0].size());
  EXPECT_EQ(CountEntries(root() / "tmp"), 0u);  // no staging left behind
}

TEST_F(ImageStoreTest, ImportsOciLayoutNamedByAnnotations) {
  TestImage a = testing::MakeImage({BaseLayer()}, Compression::kGzip, "a");
  TestImage b = testing::MakeImage({BaseLayer(), AppLayer("b")}, Compression::kZstd, "b");
  TestImage c = testing::MakeImage({AppLayer("c")}, Compression::kNone, "c");
  std::string tar = testing::OciLayoutTar({
      {a,
       {{"io.containerd.image.name", "docker.io/library/a:1"},
        {"org.opencontainers.image.ref.name", "1"}}},
      {b, {{"org.opencontainers.image.ref.name", "registry.local/b:2"}}},
      {c, {{"org.opencontainers.image.ref.name", "latest"}}},  // a bare tag names nothing
  });
  auto r = store_->Import(Tarball("oci.tar", tar));
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_THAT((*r)[0].repo_tags, ElementsAre("docker.io/library/a:1"));
  EXPECT_THAT((*r)[0].repo_digests, ElementsAre("docker.io/library/a@" + a.manifest_digest()));
  EXPECT_THAT((*r)[1].repo_tags, ElementsAre("registry.local/b:2"));
  EXPECT_THAT((*r)[2].repo_tags, IsEmpty());
  EXPECT_EQ((*r)[2].id, c.id());
  EXPECT_EQ(testing::Slurp((*r)[1].layers[1] / "app/b"), "b");
  EXPECT_EQ(store_->List().size(), 3u);
}

TEST_F(ImageStoreTest, ImportsCompressedDockerArchive) {
  TestImage img = testing::MakeImage({BaseLayer()});
  auto r = store_->Import(
      Tarball("d.tar.gz", testing::DockerArchiveTar({{img, {"x:1"}}}, Compression::kGzip)));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->front().id, img.id());
}

TEST_F(ImageStoreTest, RefusesOciBlobThatDoesNotMatchItsName) {
  TestImage img = testing::MakeImage({BaseLayer()});
  std::string layer_name = testing::BlobName(img.blobs[0]);
  // Same layout, but the layer blob's bytes are swapped for others.
  TarBuilder t;
  t.File("oci-layout", "{}")
      .File("index.json", R"({"manifests":[{"digest":")" + img.manifest_digest() + R"(","size":)" +
                              std::to_string(img.manifest.size()) +
                              R"(,"annotations":{"io.containerd.image.name":"evil:1"}}]})")
      .File(testing::BlobName(img.manifest), img.manifest)
      .File(testing::BlobName(img.config), img.config)
      .File(layer_name, BaseLayer().Build(Compression::kZstd));
  auto r = store_->Import(Tarball("bad.tar", t.Build()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("digest mismatch"));
  EXPECT_TRUE(store_->List().empty());
  EXPECT_EQ(Layers(), 0u);
  Reopen();  // GC at open drops the manifest and config committed before the failure
  EXPECT_EQ(Blobs(), 0u);
}

TEST_F(ImageStoreTest, RefusesLayerWhoseDiffIdDoesNotMatchTheConfig) {
  TestImage img =
      testing::MakeImage({BaseLayer()}, Compression::kGzip, "x", {Sha256Digest("not the layer")});
  auto r = ImportDocker(img, {"x:1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("the image config says"));
  EXPECT_TRUE(store_->List().empty());
  EXPECT_EQ(Layers(), 0u);
}

TEST_F(ImageStoreTest, RefusesUnsafeLayerAndRecordsNothing) {
  TarBuilder evil;
  evil.File("../../escape", "x");
  TestImage good = testing::MakeImage({BaseLayer()}, Compression::kGzip, "good");
  TestImage bad = testing::MakeImage({evil}, Compression::kGzip, "bad");
  auto r = store_->Import(
      Tarball("two.tar", testing::DockerArchiveTar({{good, {"good:1"}}, {bad, {"bad:1"}}})));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("\"../../escape\""));
  EXPECT_TRUE(store_->List().empty());  // the good image of the same tarball is not kept
  EXPECT_FALSE(PathExists(tmp_.path() / "escape"));
}

TEST_F(ImageStoreTest, GetsByEveryKindOfName) {
  TestImage img = testing::MakeImage({BaseLayer()});
  auto r = ImportDocker(img, {"busybox:latest"});
  ASSERT_TRUE(r) << r.error().ToString();
  std::string id = img.id();
  std::string hex = id.substr(7);
  std::string repo_digest = r->front().repo_digests.front();
  for (std::string ref : {std::string("busybox"), std::string("busybox:latest"),
                          std::string("docker.io/library/busybox:latest"), id, hex,
                          hex.substr(0, 12), "sha256:" + hex.substr(0, 20), repo_digest}) {
    auto got = store_->Get(ref);
    ASSERT_TRUE(got) << ref << ": " << got.error().ToString();
    EXPECT_EQ(got->id, id) << ref;
  }
  for (std::string ref : {std::string("busybox:other"), std::string("alpine"), hex.substr(0, 11),
                          std::string("sha256:") + std::string(64, '0')}) {
    auto got = store_->Get(ref);
    ASSERT_FALSE(got) << ref;
    EXPECT_EQ(got.error().code(), Code::kNotFound) << ref;
  }
}

TEST_F(ImageStoreTest, TagMovesToTheNewestImage) {
  TestImage v1 = testing::MakeImage({BaseLayer()}, Compression::kGzip, "v1");
  TestImage v2 = testing::MakeImage({BaseLayer()}, Compression::kGzip, "v2");
  ASSERT_TRUE(ImportDocker(v1, {"app:latest", "app:v1"}));
  ASSERT_TRUE(ImportDocker(v2, {"app:latest"}));
  EXPECT_EQ(store_->Get("app")->id, v2.id());
  EXPECT_THAT(store_->Get(v1.id())->repo_tags, ElementsAre("docker.io/library/app:v1"));
  Reopen();
  EXPECT_EQ(store_->Get("app")->id, v2.id());
  EXPECT_EQ(store_->Get("app:v1")->id, v1.id());
}

TEST_F(ImageStoreTest, RemoveCollectsUnsharedLayersAndBlobs) {
  TestImage a = testing::MakeImage({BaseLayer(), AppLayer("a")}, Compression::kGzip, "a");
  TestImage b = testing::MakeImage({BaseLayer(), AppLayer("b")}, Compression::kGzip, "b");
  ASSERT_TRUE(ImportDocker(a, {"a:1"}));
  ASSERT_TRUE(ImportDocker(b, {"b:1"}));
  EXPECT_EQ(Layers(), 3u);  // the base layer is shared
  Image got_a = *store_->Get("a:1");

  ASSERT_TRUE(store_->Remove("a:1"));
  EXPECT_EQ(Layers(), 2u);
  EXPECT_TRUE(PathExists(got_a.layers[0]));   // still used by b
  EXPECT_FALSE(PathExists(got_a.layers[1]));  // a's own layer is gone
  EXPECT_EQ(store_->Get(a.id()).error().code(), Code::kNotFound);
  EXPECT_TRUE(store_->Remove("a:1"));  // idempotent

  ASSERT_TRUE(store_->Remove(b.id()));
  EXPECT_EQ(Layers(), 0u);
  EXPECT_EQ(Blobs(), 0u);
  EXPECT_EQ(CountEntries(root() / "image-store"), 0u);
  EXPECT_EQ(CountEntries(root() / "tmp"), 0u);
}

TEST_F(ImageStoreTest, RemoveRefusesImagesInUse) {
  TestImage a = testing::MakeImage({BaseLayer()});
  ASSERT_TRUE(ImportDocker(a, {"a:1"}));
  store_->SetInUseCheck([&](std::string_view id) { return id == a.id(); });
  auto st = store_->Remove("a:1");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(store_->Get("a:1"));
  store_->SetInUseCheck(nullptr);
  EXPECT_TRUE(store_->Remove("a:1"));
}

TEST_F(ImageStoreTest, OpenRecoversFromACrash) {
  TestImage a = testing::MakeImage({BaseLayer()}, Compression::kGzip, "a");
  TestImage b = testing::MakeImage({AppLayer("b")}, Compression::kGzip, "b");
  ASSERT_TRUE(ImportDocker(a, {"a:1"}));
  ASSERT_TRUE(ImportDocker(b, {"b:1"}));
  store_.reset();
  // Leftovers of a crash: temp files, a half-unpacked layer, an unreferenced blob and layer,
  // a torn record, and a lost layer dir of a recorded image.
  testing::WriteTemp(root() / "tmp", "blob-abc", "partial");
  std::filesystem::create_directories(root() / "tmp/unpack-xyz/etc");
  testing::WriteTemp(root() / "content/blobs/sha256", Sha256Digest("orphan").substr(7), "orphan");
  std::filesystem::create_directories(root() / "layers/sha256" / Sha256Digest("o").substr(7));
  testing::WriteTemp(root() / "image-store", "deadbeef.json.tmp", "{");
  testing::WriteTemp(root() / "image-store", std::string(64, 'e') + ".json", "{ torn");
  std::filesystem::path b_layer = root() / "layers/sha256" / Sha256Digest(b.tars[0]).substr(7);
  std::filesystem::remove_all(b_layer);

  Reopen();
  EXPECT_EQ(CountEntries(root() / "tmp"), 0u);
  EXPECT_EQ(Layers(), 2u);
  EXPECT_EQ(CountEntries(root() / "image-store"), 2u);
  EXPECT_FALSE(PathExists(root() / "content/blobs/sha256" / Sha256Digest("orphan").substr(7)));
  EXPECT_EQ(store_->List().size(), 2u);
  EXPECT_EQ(testing::Slurp(b_layer / "app/b"), "b");  // unpacked again from its blob
}

TEST_F(ImageStoreTest, ImportDirectorySkipsBadTarballs) {
  std::filesystem::path dir = tmp_.path() / "images";
  std::filesystem::create_directory(dir);
  TestImage a = testing::MakeImage({BaseLayer()});
  testing::WriteTemp(dir, "a.tar", testing::DockerArchiveTar({{a, {"a:1"}}}));
  testing::WriteTemp(dir, "broken.tar", "garbage garbage garbage");
  testing::WriteTemp(dir, "notes.txt", "ignored");
  ASSERT_TRUE(store_->ImportDirectory(dir));
  EXPECT_THAT(store_->List(), ::testing::SizeIs(1));
  EXPECT_TRUE(store_->ImportDirectory(tmp_.path() / "missing"));
}

TEST_F(ImageStoreTest, ImportIsIdempotentAndUsageCountsContent) {
  TestImage a = testing::MakeImage({BaseLayer()});
  ASSERT_TRUE(ImportDocker(a, {"a:1"}));
  ASSERT_TRUE(ImportDocker(a, {"a:1"}));
  EXPECT_EQ(store_->List().size(), 1u);
  auto u = store_->Usage();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->mountpoint, root());
  EXPECT_GT(u->used_bytes, 0u);
  EXPECT_GT(u->inodes_used, 3u);
}

TEST_F(ImageStoreTest, PullRefusesBadReferencesBeforeAnyNetwork) {
  auto r = store_->Pull("Not A Valid Ref", AuthConfig{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace capstan::cri::image

#include "cri/image/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "cri/image/digest.h"
#include "cri/image/layer_writer.h"
#include "tests/cri/image/tar_builder.h"
#include "tests/cri/image/test_util.h"

namespace capstan::cri::image {
namespace {

using testing::Compression;
using ::testing::HasSubstr;
using testing::Lstat;
using testing::Slurp;
using testing::TarBuilder;
using testing::TempDir;

class ImageUnpackTest : public ::testing::Test {
 protected:
  // Extracts `tar` into a fresh layer dir; returns the result.
  Result<UnpackResult> Extract(const std::string& tar) {
    std::filesystem::path blob = testing::WriteTemp(tmp_.path(), "blob", tar);
    UniqueFd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    std::filesystem::create_directory(layer());
    return ExtractLayer(fd.get(), layer());
  }
  std::filesystem::path layer() const { return tmp_.path() / "layer"; }
  std::filesystem::path outside() const { return tmp_.path() / "outside"; }

  TempDir tmp_;
};

std::string XattrOf(const std::filesystem::path& p, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof(buf));
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

TEST(ImageSplitEntryPathTest, NormalizesAndRefusesDotDot) {
  EXPECT_EQ(*SplitEntryPath("./a//b/./c/"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(*SplitEntryPath("/etc/passwd"), (std::vector<std::string>{"etc", "passwd"}));
  EXPECT_TRUE(SplitEntryPath("./")->empty());
  auto bad = SplitEntryPath("a/../../etc/passwd");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.error().message(), HasSubstr("a/../../etc/passwd"));
  EXPECT_FALSE(SplitEntryPath(".."));
  EXPECT_TRUE(SplitEntryPath("a/..b/c"));  // "..b" is an ordinary name
}

TEST_F(ImageUnpackTest, ExtractsFilesDirsLinksWithMetadata) {
  TarBuilder t;
  t.Dir("./")
      .Dir("bin", 0755)
      .File("bin/tool", "#!/bin/sh\n", 04755)
      .Symlink("bin/sh", "tool")
      .Symlink("abs", "/etc/hosts")  // absolute targets are fine: they resolve in the container
      .Dir("ro", 0555)
      .File("ro/inside", "x")
      .File("data", "hello", 0640, 1000, 1000, {{"user.capstan", "yes"}})
      .Hardlink("data-link", "data")
      .File("/absolute/name", "made relative");
  auto r = Extract(t.Build());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Slurp(layer() / "bin/tool"), "#!/bin/sh\n");
  EXPECT_EQ(Lstat(layer() / "bin/tool").st_mode & 07777, 04755u);
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "bin/sh"), "tool");
  EXPECT_EQ(std::filesystem::read_symlink(layer() / "abs"), "/etc/hosts");
  EXPECT_EQ(Lstat(layer() / "ro").st_mode & 07777, 0555u);
  EXPECT_EQ(Slurp(layer() / "ro/inside"), "x");
  EXPECT_EQ(Lstat(layer() / "data").st_mtime, 1700000000);
  EXPECT_EQ(Lstat(layer() / "ro").st_mtime, 1700000000);
  EXPECT_EQ(Lstat(layer() / "data").st_ino, Lstat(layer() / "data-link").st_ino);
  EXPECT_EQ(Slurp(layer() / "absolute/name"), "made relative");
  EXPECT_EQ(XattrOf(layer() / "data", "user.capstan"), "yes");
  if (::geteuid() == 0) {
    EXPECT_EQ(Lstat(layer() / "data").st_uid, 1000u);
    EXPECT_EQ(Lstat(layer() / "data").st_gid, 1000u);
  }
}

TEST_F(ImageUnpackTest, DiffIdIsTheUncompressedDigestForEveryCompression) {
  TarBuilder t;
  t.Dir("etc").File("etc/motd", std::string(100000, 'm'));
  std::string plain = t.Build();
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    std::filesystem::remove_all(layer());
    auto r = Extract(t.Build(c));
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(r->diff_id, Sha256Digest(plain));
    EXPECT_EQ(r->tar_size, plain.size());
    EXPECT_EQ(Slurp(layer() / "etc/motd").size(), 100000u);
  }
}

TEST_F(ImageUnpackTest, ConvertsWhiteoutsToOverlayFormat) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "overlay whiteouts need CAP_MKNOD";
  }
  TarBuilder t;
  t.Dir("etc")
      .File("etc/.wh.removed", "")
      .Dir("opt")
      .File("opt/.wh..wh..opq", "")
      .File("opt/new", "n")
      .File("usr/lib/.wh.gone", "")
      .File(".wh..wh.plnk", "");
  auto r = Extract(t.Build(Compression::kGzip));
  ASSERT_TRUE(r) << r.error().ToString();
  struct stat st = Lstat(layer() / "etc/removed");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(PathExists(layer() / "etc/.wh.removed"));
  EXPECT_EQ(XattrOf(layer() / "opt", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Slurp(layer() / "opt/new"), "n");
  EXPECT_TRUE(S_ISCHR(Lstat(layer() / "usr/lib/gone").st_mode));  // parents made implicitly
  EXPECT_FALSE(PathExists(layer() / ".wh..wh.plnk"));
}

TEST_F(ImageUnpackTest, RefusesDotDotEntries) {
  TarBuilder t;
  t.File("ok", "fine").File("../outside", "escaped");
  auto r = Extract(t.Build());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("\"../outside\""));
  EXPECT_FALSE(PathExists(outside()));
}

TEST_F(ImageUnpackTest, RefusesWritingThroughAnAbsoluteSymlink) {
  std::filesystem::create_directory(outside());
  TarBuilder t;
  t.Symlink("evil", outside().string()).File("evil/planted", "pwned");
  auto r = Extract(t.Build());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("\"evil/planted\""));
  EXPECT_THAT(r.error().message(), HasSubstr("symlink"));
  EXPECT_FALSE(PathExists(outside() / "planted"));
}

TEST_F(ImageUnpackTest, RefusesWritingThroughARelativeSymlink) {
  std::filesystem::create_directory(outside());
  TarBuilder t;
  t.Dir("a").Symlink("a/up", "../../outside").File("a/up/planted", "pwned");
  auto r = Extract(t.Build());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("symlink"));
  EXPECT_FALSE(PathExists(outside() / "planted"));
}

TEST_F(ImageUnpackTest, RefusesHardLinkToAHostFile) {
  TarBuilder t;
  t.Hardlink("passwd", "/etc/passwd");
  auto r = Extract(t.Build());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.error().message(), HasSubstr("/etc/passwd"));
  EXPECT_FALSE(PathExists(layer() / "passwd"));

  TarBuilder up;
  up.Hardlink("passwd", "../../../../etc/passwd");
  std::filesystem::remove_all(layer());
  EXPECT_FALSE(Extract(up.Build()));
}

TEST_F(ImageUnpackTest, RefusesHardLinkThroughSymlink) {
  std::filesystem::create_directory(outside());
  testing::WriteTemp(outside(), "secret", "s");
  TarBuilder t;
  t.Symlink("out", outside().string()).Hardlink("stolen", "out/secret");
  auto r = Extract(t.Build());
  ASSERT_FALSE(r);
  EXPECT_FALSE(PathExists(layer() / "stolen"));
}

TEST_F(ImageUnpackTest, SkipsDeviceNodes) {
  TarBuilder t;
  t.Dir("dev")
      .Device("dev/sda", AE_IFBLK, 8, 0)
      .Device("dev/mem", AE_IFCHR, 1, 1)
      .File("dev/keep", "k");
  auto r = Extract(t.Build());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(PathExists(layer() / "dev/sda"));
  EXPECT_FALSE(PathExists(layer() / "dev/mem"));
  EXPECT_EQ(Slurp(layer() / "dev/keep"), "k");
}

TEST_F(ImageUnpackTest, LaterEntryReplacesEarlierOne) {
  TarBuilder t;
  t.File("f", "first").File("f", "second").Symlink("l", "x").File("l", "file now");
  auto r = Extract(t.Build());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Slurp(layer() / "f"), "second");
  EXPECT_EQ(Slurp(layer() / "l"), "file now");
}

TEST_F(ImageUnpackTest, RefusesGarbageAndTruncatedLayers) {
  EXPECT_FALSE(Extract("this is not a tar archive at all, not even close........"));
  std::filesystem::remove_all(layer());
  TarBuilder t;
  t.File("big", std::string(50000, 'b'));
  std::string gz = t.Build(Compression::kGzip);
  auto r = Extract(gz.substr(0, gz.size() / 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST_F(ImageUnpackTest, UnpackLayerVerifiesDiffIdAndLeavesNothingOnMismatch) {
  TarBuilder t;
  t.File("a", "a");
  std::string tar = t.Build(Compression::kGzip);
  std::filesystem::path blob = testing::WriteTemp(tmp_.path(), "blob", tar);
  std::filesystem::path work = tmp_.path() / "work";
  std::filesystem::create_directory(work);
  std::string wrong = Sha256Digest("something else");
  auto st = UnpackLayer(blob, wrong, tmp_.path() / "dest", work);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kInvalidArgument);
  EXPECT_THAT(st.error().message(), HasSubstr(wrong));
  EXPECT_FALSE(PathExists(tmp_.path() / "dest"));
  EXPECT_TRUE(std::filesystem::is_empty(work));

  std::string right = Sha256Digest(t.Build());
  ASSERT_TRUE(UnpackLayer(blob, right, tmp_.path() / "dest", work));
  EXPECT_EQ(Slurp(tmp_.path() / "dest/a"), "a");
  EXPECT_EQ(Lstat(tmp_.path() / "dest").st_mode & 07777, 0755u);
  // A second unpack of the same layer finds it done.
  ASSERT_TRUE(UnpackLayer(blob, right, tmp_.path() / "dest", work));
  EXPECT_TRUE(std::filesystem::is_empty(work));
}

}  // namespace
}  // namespace capstan::cri::image

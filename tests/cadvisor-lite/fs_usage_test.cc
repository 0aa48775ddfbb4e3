// Tree and direct-file usage as du counts it, on a scratch directory.
#include "cadvisor-lite/fs_usage.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace capstan::cadvisor {
namespace {

class FsUsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fs-usage-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, size_t bytes) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << std::string(bytes, 'x');
  }
  std::filesystem::path dir_;
};

TEST_F(FsUsageTest, TreeUsageCountsEveryInodeOnceAndFollowsNoLinks) {
  Write("a", 8192);
  Write("sub/b", 8192);
  std::filesystem::create_hard_link(dir_ / "a", dir_ / "sub/a-again");
  std::filesystem::create_symlink("/usr", dir_ / "link");  // not followed
  auto u = TreeUsage(dir_);
  EXPECT_EQ(u.inodes, 4u);  // a, sub, sub/b, link (a-again is a)
  EXPECT_GE(u.bytes, 16384u);
  EXPECT_LT(u.bytes, 64u << 10);
  EXPECT_EQ(TreeUsage(dir_ / "missing").inodes, 0u);
}

TEST_F(FsUsageTest, DirectFilesUsageIsOneLevelOfRegularFiles) {
  Write("0.log", 4096);
  Write("1.log", 4096);
  Write("sub/2.log", 4096);
  auto u = DirectFilesUsage(dir_);
  EXPECT_EQ(u.inodes, 2u);
  EXPECT_GE(u.bytes, 8192u);
}

}  // namespace
}  // namespace capstan::cadvisor

#include "common/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace capstan {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-file-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FileTest, AtomicWriteThenRead) {
  auto p = dir_ / "a" / "b" / "state.json";
  ASSERT_TRUE(MkdirAll(p.parent_path()));
  ASSERT_TRUE(WriteFileAtomic(p, "{\"x\":1}"));
  EXPECT_EQ(*ReadFile(p), "{\"x\":1}");
  ASSERT_TRUE(WriteFileAtomic(p, "new"));
  EXPECT_EQ(*ReadFile(p), "new");
  EXPECT_FALSE(PathExists(dir_ / "a" / "b" / "state.json.tmp"));
}

TEST_F(FileTest, MissingFileIsNotFound) {
  auto r = ReadFile(dir_ / "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_NE(r.error().message().find("nope"), std::string::npos);
}

TEST_F(FileTest, RemoveAllIsIdempotent) {
  EXPECT_TRUE(RemoveAll(dir_ / "never-existed"));
  ASSERT_TRUE(MkdirAll(dir_ / "x/y"));
  EXPECT_TRUE(RemoveAll(dir_ / "x"));
  EXPECT_FALSE(PathExists(dir_ / "x"));
}

}  // namespace
}  // namespace capstan

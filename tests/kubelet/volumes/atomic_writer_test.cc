#include "kubelet/volumes/atomic_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace capstan::kubelet::volumes {
namespace {

namespace fs = std::filesystem;

class AtomicWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-atomic-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Slurp(const std::string& rel) {
    std::ifstream in(dir_ + "/" + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string DataTarget() { return fs::read_symlink(dir_ + "/..data").string(); }
  int Generations() {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string name = e.path().filename();
      if (name.rfind("..", 0) == 0 && name != "..data" && !e.is_symlink()) ++n;
    }
    return n;
  }
  std::string dir_;
};

TEST_F(AtomicWriterTest, LaysOutGenerationDataLinkAndUserLinks) {
  AtomicWriter w(dir_);
  auto changed = w.Write(
      {{"game.properties", {"lives=3\n", 0644}}, {"conf/ui.properties", {"color=red\n", 0400}}});
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Slurp("game.properties"), "lives=3\n");
  EXPECT_EQ(Slurp("conf/ui.properties"), "color=red\n");
  // User-visible names link through ..data, which names a sibling generation.
  EXPECT_EQ(fs::read_symlink(dir_ + "/game.properties"), "..data/game.properties");
  EXPECT_EQ(fs::read_symlink(dir_ + "/conf"), "..data/conf");
  EXPECT_EQ(DataTarget().rfind("..", 0), 0u);
  EXPECT_EQ(DataTarget().find('/'), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/conf/ui.properties").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  EXPECT_EQ(Generations(), 1);
}

TEST_F(AtomicWriterTest, SamePayloadChangesNothing) {
  AtomicWriter w(dir_);
  ASSERT_TRUE(w.Write({{"a", {"1", 0644}}}));
  std::string first = DataTarget();
  auto again = w.Write({{"a", {"1", 0644}}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(DataTarget(), first);
}

TEST_F(AtomicWriterTest, UpdateSwapsGenerationsAndDropsRemovedKeys) {
  AtomicWriter w(dir_);
  ASSERT_TRUE(w.Write({{"a", {"1", 0644}}, {"b", {"2", 0644}}}));
  std::string first = DataTarget();
  auto changed = w.Write({{"a", {"one", 0644}}, {"c", {"3", 0644}}});
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_TRUE(*changed);
  EXPECT_NE(DataTarget(), first);
  EXPECT_FALSE(fs::exists(dir_ + "/" + first));  // the old generation is gone
  EXPECT_EQ(Slurp("a"), "one");
  EXPECT_EQ(Slurp("c"), "3");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ + "/b")));
  EXPECT_EQ(Generations(), 1);
  // A mode change alone is a change.
  auto mode_only = w.Write({{"a", {"one", 0600}}, {"c", {"3", 0644}}});
  ASSERT_TRUE(mode_only);
  EXPECT_TRUE(*mode_only);
}

TEST_F(AtomicWriterTest, AnOpenFileKeepsItsOldContentWhileNewReadersSeeTheNew) {
  AtomicWriter w(dir_);
  ASSERT_TRUE(w.Write({{"a", {"old", 0644}}}));
  std::ifstream held(dir_ + "/a");  // a reader in the middle of the old generation
  ASSERT_TRUE(w.Write({{"a", {"new", 0644}}}));
  std::stringstream ss;
  ss << held.rdbuf();
  EXPECT_EQ(ss.str(), "old");
  EXPECT_EQ(Slurp("a"), "new");
}

TEST_F(AtomicWriterTest, EmptyPayloadLeavesAnEmptyVolume) {
  AtomicWriter w(dir_);
  ASSERT_TRUE(w.Write({{"a", {"1", 0644}}}));
  ASSERT_TRUE(w.Write({}));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ + "/a")));
  EXPECT_TRUE(fs::is_symlink(dir_ + "/..data"));
}

TEST_F(AtomicWriterTest, PathsThatWouldEscapeAreRefused) {
  AtomicWriter w(dir_);
  for (const char* bad : {"/etc/passwd", "../x", "a/../../x", "..data", "a//b", "./a", ""}) {
    auto r = w.Write({{bad, {"x", 0644}}});
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ + "/..data")));
}

TEST_F(AtomicWriterTest, ReadReturnsTheCurrentPayload) {
  AtomicWriter w(dir_);
  EXPECT_TRUE(w.Read()->empty());
  Payload p{{"x/y", {"z", 0640}}};
  ASSERT_TRUE(w.Write(p));
  auto back = w.Read();
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
}

}  // namespace
}  // namespace capstan::kubelet::volumes

// SqliteStore: the StoreConformance suite, and what only a file-backed store shows: no
// acknowledged write is lost to a SIGKILL at any moment, and compaction gives disk back.

#include "control-plane/storage/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>

#include "tests/control-plane/storage/store_conformance.h"

namespace capstan::control_plane::storage {
namespace {

std::unique_ptr<Store> OpenSqlite(const std::string& dir) {
  SqliteOptions options;
  options.compact_interval = std::chrono::seconds(0);
  auto store = SqliteStore::Open(dir + "/state.db", options);
  if (!store) {
    ADD_FAILURE() << store.error().message();
    return nullptr;
  }
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreFactory{"sqlite", OpenSqlite}),
                         [](const auto& info) { return info.param.name; });

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-sqlite-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// Runs the writer child for `ms` milliseconds, kills it with SIGKILL, and returns the
// numbers it reported as acknowledged.
std::set<long> RunAndKill(const std::string& db, const char* sync, int ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(CAPSTAN_STORE_WRITER, CAPSTAN_STORE_WRITER, db.c_str(), sync, nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  ::close(fds[0]);
  std::set<long> acked;
  size_t pos = 0;
  while (true) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) break;  // a torn last line was never acknowledged
    acked.insert(std::stol(out.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return acked;
}

TEST_F(SqliteStoreTest, SigkillLosesNoAcknowledgedWrite) {
  std::mt19937 rng(42);
  for (const char* sync : {"full", "normal"}) {
    for (int round = 0; round < 3; ++round) {
      std::string db = dir_ + "/crash-" + sync + std::to_string(round) + ".db";
      std::set<long> acked = RunAndKill(db, sync, 150 + static_cast<int>(rng() % 300));
      ASSERT_FALSE(acked.empty()) << "the writer acknowledged nothing";

      sqlite3* raw = nullptr;
      ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, nullptr);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
      sqlite3_finalize(st);
      sqlite3_close(raw);

      SqliteOptions options;
      options.compact_interval = std::chrono::seconds(0);
      auto store = SqliteStore::Open(db, options);
      ASSERT_TRUE(store) << store.error().message();
      for (long n : acked) {
        auto kv = (*store)->Get("/crash/" + std::to_string(n));
        ASSERT_TRUE(kv) << sync << " lost acknowledged write " << n;
        EXPECT_EQ(kv->value, n % 3 == 0 ? "updated" : std::string(200, 'x'));
      }
      // The revision counter goes on from where the dead writer left it.
      auto rev = (*store)->CurrentRevision();
      auto next = (*store)->Create("/after", "x");
      ASSERT_TRUE(next);
      EXPECT_EQ(next->mod_revision, *rev + 1);
    }
  }
}

TEST_F(SqliteStoreTest, CompactionGivesDiskBackUnderLeaseChurn) {
  SqliteOptions options;
  options.compact_interval = std::chrono::seconds(0);
  options.synchronous_full = false;
  auto store = SqliteStore::Open(dir_ + "/leases.db", options);
  ASSERT_TRUE(store);
  std::string lease(600, 'l');  // about a Lease object's size
  for (int n = 0; n < 100; ++n)
    ASSERT_TRUE((*store)->Create("/leases/" + std::to_string(n), lease));
  for (int round = 0; round < 100; ++round) {
    for (int n = 0; n < 100; ++n) {
      ASSERT_TRUE((*store)->Update("/leases/" + std::to_string(n), lease, 0));
    }
  }
  auto size = [&] {
    return std::filesystem::file_size(dir_ + "/leases.db") +
           (std::filesystem::exists(dir_ + "/leases.db-wal")
                ? std::filesystem::file_size(dir_ + "/leases.db-wal")
                : 0);
  };
  uintmax_t before = size();
  auto rev = (*store)->CurrentRevision();
  ASSERT_TRUE((*store)->Compact(*rev - 100));
  uintmax_t after = size();
  EXPECT_LT(after * 4, before) << "before " << before << " after " << after;
  auto list = (*store)->List("/leases/", {});
  EXPECT_EQ(list->items.size(), 100u);
}

TEST_F(SqliteStoreTest, ClosedStoreIsUnavailableAndBadKeysAreRejected) {
  auto store = SqliteStore::Open(dir_ + "/c.db", {});
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->Create("", "x").error().code(), Code::kInvalidArgument);
  auto rev = (*store)->CurrentRevision();
  auto watch = (*store)->WatchPrefix("/", *rev);
  ASSERT_TRUE(watch);
  (*store)->Close();
  EXPECT_EQ((*store)->Get("/x").error().code(), Code::kUnavailable);
  auto ended = (*watch)->Next(std::chrono::milliseconds(10));
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code(), Code::kUnavailable);
}

TEST_F(SqliteStoreTest, GarbageFileIsAnError) {
  std::string path = dir_ + "/garbage.db";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not a database, just text that is long enough to look like a header", f);
  std::fclose(f);
  auto store = SqliteStore::Open(path, {});
  EXPECT_FALSE(store);
}

}  // namespace
}  // namespace capstan::control_plane::storage

// The watch cache over a real SQLite store: one backend watch fans out to many watchers,
// watches from the ring's past replay without gaps, older ones fall through to the
// backend, and a watcher that stops reading is cut off instead of growing without bound.

#include "control-plane/storage/watch_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "control-plane/storage/sqlite_store.h"

namespace capstan::control_plane::storage {
namespace {

class WatchCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-watch-cache-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto store = SqliteStore::Open(dir_ + "/state.db", SqliteOptions{});
    ASSERT_TRUE(store) << store.error().message();
    backend_ = std::move(*store);
  }
  void TearDown() override {
    cache_.reset();
    backend_.reset();
    std::filesystem::remove_all(dir_);
  }
  void MakeCache(WatchCacheOptions options = {}) {
    options.prefix = "/r/";
    auto cache = WatchCache::Create(backend_.get(), options);
    ASSERT_TRUE(cache) << cache.error().message();
    cache_ = std::move(*cache);
  }
  std::vector<WatchEvent> Drain(Watch& w, size_t want) {
    std::vector<WatchEvent> out;
    for (int i = 0; i < 50 && out.size() < want; ++i) {
      auto events = w.Next(std::chrono::milliseconds(100));
      if (!events) break;
      for (auto& e : *events) out.push_back(std::move(e));
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> backend_;
  std::unique_ptr<WatchCache> cache_;
};

TEST_F(WatchCacheTest, ManyWatchersOneBackendWatchInOrder) {
  MakeCache();
  auto start = cache_->CurrentRevision();
  ASSERT_TRUE(start);
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 50; ++i) {
    auto w = cache_->WatchPrefix(i % 2 ? "/r/a/" : "/r/", *start);
    ASSERT_TRUE(w);
    watches.push_back(std::move(*w));
  }
  EXPECT_EQ(cache_->watchers(), 50u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache_->Create("/r/a/" + std::to_string(i), "v"));
    ASSERT_TRUE(cache_->Create("/r/b/" + std::to_string(i), "v"));
  }
  for (size_t i = 0; i < watches.size(); ++i) {
    size_t want = i % 2 ? 10 : 20;
    auto events = Drain(*watches[i], want);
    ASSERT_EQ(events.size(), want);
    for (size_t j = 1; j < events.size(); ++j) {
      EXPECT_LT(events[j - 1].revision, events[j].revision);
    }
  }
  watches.clear();
  EXPECT_EQ(cache_->watchers(), 0u);
}

TEST_F(WatchCacheTest, ReplaysFromTheRingAndFallsBackBeyondIt) {
  ASSERT_TRUE(backend_->Create("/r/before", "v"));  // before the cache: only the backend has it
  auto before = backend_->CurrentRevision();
  MakeCache({.ring_size = 5});
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(cache_->Create("/r/k" + std::to_string(i), "v"));
  auto now = cache_->CurrentRevision();
  ASSERT_TRUE(now);

  // The last three revisions are in the ring.
  auto recent = cache_->WatchPrefix("/r/", *now - 3);
  ASSERT_TRUE(recent);
  // Exactly those, even when the dispatcher still runs behind the writes just made.
  auto replayed = Drain(**recent, 3);
  ASSERT_EQ(replayed.size(), 3u);
  EXPECT_EQ(replayed.front().revision, *now - 2);

  // From before the cache started: the backend replays all eight, and then live events.
  auto old = cache_->WatchPrefix("/r/", *before);
  ASSERT_TRUE(old);
  EXPECT_EQ(Drain(**old, 8).size(), 8u);
}

TEST_F(WatchCacheTest, SlowWatcherIsCutOff) {
  MakeCache({.watcher_queue = 5});
  auto rev = cache_->CurrentRevision();
  auto w = cache_->WatchPrefix("/r/", *rev);
  ASSERT_TRUE(w);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(cache_->Create("/r/s" + std::to_string(i), "v"));
  // Wait for the dispatcher to pass the limit, then the watcher learns it must re-list.
  for (int i = 0; i < 50 && cache_->watchers() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(cache_->watchers(), 0u);
  Result<std::vector<WatchEvent>> got = std::vector<WatchEvent>{};
  for (int i = 0; i < 10 && got; ++i) got = (*w)->Next(std::chrono::milliseconds(50));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kOutOfRange);
}

}  // namespace
}  // namespace capstan::control_plane::storage

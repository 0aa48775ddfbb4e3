#include "tests/control-plane/storage/store_conformance.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace capstan::control_plane::storage {

void StoreConformance::SetUp() {
  char tmpl[] = "/tmp/capstan-store-conformance.XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
}

void StoreConformance::TearDown() {
  store_.reset();
  std::filesystem::remove_all(dir_);
}

void StoreConformance::Reopen() {
  store_.reset();
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
}

namespace {

std::vector<WatchEvent> Collect(Watch& w, size_t want) {
  std::vector<WatchEvent> out;
  for (int i = 0; i < 100 && out.size() < want; ++i) {
    auto events = w.Next(std::chrono::milliseconds(50));
    if (!events) break;
    for (auto& e : *events) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_P(StoreConformance, EveryVerb) {
  auto created = store_->Create("/a/1", "one");
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->create_revision, created->mod_revision);
  auto got = store_->Get("/a/1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, "one");
  EXPECT_EQ(got->mod_revision, created->mod_revision);

  auto again = store_->Create("/a/1", "x");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);

  auto updated = store_->Update("/a/1", "uno", created->mod_revision);
  ASSERT_TRUE(updated);
  EXPECT_GT(updated->mod_revision, created->mod_revision);
  EXPECT_EQ(updated->create_revision, created->create_revision);

  auto stale = store_->Update("/a/1", "x", created->mod_revision);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), Code::kFailedPrecondition);
  auto missing = store_->Update("/a/none", "x", 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);

  auto stale_delete = store_->Delete("/a/1", created->mod_revision);
  ASSERT_FALSE(stale_delete);
  EXPECT_EQ(stale_delete.error().code(), Code::kFailedPrecondition);
  auto deleted = store_->Delete("/a/1", updated->mod_revision);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->value, "uno");
  EXPECT_GT(deleted->mod_revision, updated->mod_revision);
  auto gone = store_->Get("/a/1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  EXPECT_EQ(store_->Delete("/a/1", 0).error().code(), Code::kNotFound);

  // A deleted key can be created again, with a new create revision.
  auto reborn = store_->Create("/a/1", "again");
  ASSERT_TRUE(reborn);
  EXPECT_GT(reborn->create_revision, deleted->mod_revision);
  auto rev = store_->CurrentRevision();
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, reborn->mod_revision);
}

TEST_P(StoreConformance, ListPrefixPagesAndPastRevisions) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->Create("/list/" + std::to_string(i), std::to_string(i)));
  }
  ASSERT_TRUE(store_->Create("/listx", "not under /list/"));
  auto all = store_->List("/list/", {});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->items.size(), 10u);
  EXPECT_FALSE(all->more);
  EXPECT_TRUE(std::is_sorted(all->items.begin(), all->items.end(),
                             [](const auto& a, const auto& b) { return a.key < b.key; }));
  auto count = store_->Count("/list/");
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 10);

  // Pages of 3 at one revision, while writes go on.
  ListOptions page;
  page.limit = 3;
  std::vector<std::string> keys;
  for (int n = 0; n < 10; ++n) {
    auto got = store_->List("/list/", page);
    ASSERT_TRUE(got) << got.error().message();
    for (const auto& kv : got->items) keys.push_back(kv.key);
    if (n == 0) {
      ASSERT_TRUE(store_->Create("/list/99", "late"));  // after the snapshot
    }
    if (!got->more) break;
    page.revision = got->revision;
    page.start_after = got->items.back().key;
  }
  EXPECT_EQ(keys.size(), 10u);  // the late key is not in the snapshot

  // The state as of an older revision.
  auto before = store_->CurrentRevision();
  ASSERT_TRUE(before);
  auto kv0 = store_->Get("/list/0");
  ASSERT_TRUE(store_->Update("/list/0", "changed", kv0->mod_revision));
  ASSERT_TRUE(store_->Delete("/list/1", 0));
  ListOptions old;
  old.revision = *before;
  auto past = store_->List("/list/", old);
  ASSERT_TRUE(past);
  EXPECT_EQ(past->items.size(), 11u);
  EXPECT_EQ(past->items[0].value, "0");
  auto latest = store_->List("/list/", {});
  EXPECT_EQ(latest->items.size(), 10u);
  EXPECT_EQ(latest->items[0].value, "changed");
}

TEST_P(StoreConformance, ConcurrentWritersLoseNoUpdate) {
  ASSERT_TRUE(store_->Create("/counter", "0"));
  constexpr int kThreads = 8, kIncrements = 100;
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        auto kv = store_->Get("/counter");
        ASSERT_TRUE(kv);
        int value = std::stoi(kv->value);
        auto up = store_->Update("/counter", std::to_string(value + 1), kv->mod_revision);
        if (up) {
          ++i;
        } else {
          ASSERT_EQ(up.error().code(), Code::kFailedPrecondition);
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->Get("/counter")->value, std::to_string(kThreads * kIncrements));
}

TEST_P(StoreConformance, WatchSeesEveryRevisionInOrder) {
  auto start = store_->CurrentRevision();
  ASSERT_TRUE(start);
  auto all = store_->WatchPrefix("/w/", *start);
  ASSERT_TRUE(all);
  auto only_b = store_->WatchPrefix("/w/b/", *start);
  ASSERT_TRUE(only_b);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string key = std::string(t % 2 ? "/w/b/" : "/w/a/") + std::to_string(t * 100 + i);
        ASSERT_TRUE(store_->Create(key, "v"));
        ASSERT_TRUE(store_->Update(key, "v2", 0));
      }
    });
  }
  for (auto& w : writers) w.join();
  auto events = Collect(**all, 200);
  ASSERT_EQ(events.size(), 200u);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].revision, events[i - 1].revision + 1) << "a revision was skipped";
  }
  auto b = Collect(**only_b, 100);
  ASSERT_EQ(b.size(), 100u);
  for (const auto& e : b) EXPECT_EQ(e.kv.key.rfind("/w/b/", 0), 0u);

  // From a revision in the middle: the rest, with types and previous values.
  int64_t mid = events[99].revision;
  auto from_mid = store_->WatchPrefix("/w/", mid);
  ASSERT_TRUE(from_mid);
  auto rest = Collect(**from_mid, 100);
  ASSERT_EQ(rest.size(), 100u);
  EXPECT_EQ(rest.front().revision, mid + 1);
  for (const auto& e : rest) {
    if (e.type == EventType::kModified) {
      ASSERT_TRUE(e.prev);
      EXPECT_EQ(e.prev->value, "v");
      EXPECT_EQ(e.kv.value, "v2");
    } else {
      EXPECT_EQ(e.type, EventType::kCreated);
      EXPECT_FALSE(e.prev);
    }
  }
  // Deletes carry the last value.
  ASSERT_TRUE(store_->Delete(events[0].kv.key, 0));
  auto del = Collect(**all, 1);
  ASSERT_EQ(del.size(), 1u);
  EXPECT_EQ(del[0].type, EventType::kDeleted);
  EXPECT_EQ(del[0].kv.value, "v2");
}

TEST_P(StoreConformance, CompactionAndGone) {
  ASSERT_TRUE(store_->Create("/c/k", "0"));
  auto first = store_->CurrentRevision();
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(store_->Update("/c/k", std::to_string(i), 0));
  ASSERT_TRUE(store_->Create("/c/gone", "x"));
  ASSERT_TRUE(store_->Delete("/c/gone", 0));
  auto now = store_->CurrentRevision();
  ASSERT_TRUE(store_->Compact(*now - 1));
  EXPECT_EQ(store_->CompactedRevision(), *now - 1);

  auto old_watch = store_->WatchPrefix("/c/", *first);
  ASSERT_FALSE(old_watch);
  EXPECT_EQ(old_watch.error().code(), Code::kOutOfRange);
  ListOptions old;
  old.revision = *first;
  auto old_list = store_->List("/c/", old);
  ASSERT_FALSE(old_list);
  EXPECT_EQ(old_list.error().code(), Code::kOutOfRange);

  // The latest values survive; a watch from the compacted revision still works.
  EXPECT_EQ(store_->Get("/c/k")->value, "20");
  auto recent = store_->WatchPrefix("/c/", *now - 1);
  ASSERT_TRUE(recent);
  EXPECT_EQ(Collect(**recent, 1).size(), 1u);  // the delete at `now`
}

TEST_P(StoreConformance, RestartKeepsDataAndRevisions) {
  ASSERT_TRUE(store_->Create("/r/a", "1"));
  ASSERT_TRUE(store_->Create("/r/b", "2"));
  ASSERT_TRUE(store_->Delete("/r/b", 0));
  auto before = store_->CurrentRevision();
  ASSERT_TRUE(store_->Compact(*before));
  Reopen();
  EXPECT_EQ(*store_->CurrentRevision(), *before);
  EXPECT_EQ(store_->CompactedRevision(), *before);
  EXPECT_EQ(store_->Get("/r/a")->value, "1");
  auto next = store_->Create("/r/c", "3");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->mod_revision, *before + 1);  // revisions never repeat
}

}  // namespace capstan::control_plane::storage

#include "control-plane/storage/sqlite_store.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "control-plane/storage/sqlite_db.h"
#include "control-plane/storage/sqlite_watch_hub.h"

namespace capstan::control_plane::storage {
namespace {

const log::Logger kLog("sqlite-store");

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB,
  old_value BLOB);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv(name, id);
CREATE TABLE IF NOT EXISTS current (name TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)";

constexpr const char* kColumns =
    "kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.value, "
    "kv.old_value";

// The first key after every key starting with `prefix` (its range's exclusive end); empty:
// no end.
std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char c = static_cast<unsigned char>(end.back());
    if (c < 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return "";
}

struct Row {
  int64_t id = 0;
  std::string name;
  bool created = false;
  bool deleted = false;
  int64_t create_revision = 0;
  int64_t prev_revision = 0;
  std::string value;
  std::string old_value;
};

Row ReadRow(const sqlite::Statement& s) {
  return {s.Int(0), s.Text(1), s.Int(2) != 0, s.Int(3) != 0,
          s.Int(4), s.Int(5),  s.Text(6),     s.Text(7)};
}

KeyValue ToKv(const Row& r) { return {r.name, r.value, r.create_revision, r.id}; }

WatchEvent ToEvent(const Row& r) {
  WatchEvent ev;
  ev.revision = r.id;
  if (r.deleted) {
    ev.type = EventType::kDeleted;
    ev.kv = {r.name, r.value, r.create_revision, r.id};
    ev.prev = KeyValue{r.name, r.value, r.create_revision, r.prev_revision};
  } else if (r.created) {
    ev.type = EventType::kCreated;
    ev.kv = ToKv(r);
  } else {
    ev.type = EventType::kModified;
    ev.kv = ToKv(r);
    ev.prev = KeyValue{r.name, r.old_value, r.create_revision, r.prev_revision};
  }
  return ev;
}

}  // namespace

class SqliteStore::Impl {
 public:
  Impl(std::unique_ptr<sqlite::Database> db, SqliteOptions options)
      : db_(std::move(db)),
        options_(options),
        hub_(std::make_shared<WatchHub>(options.watcher_queue)) {}

  ~Impl() { Close(); }

  Status Init() {
    // auto_vacuum must be chosen before the first table exists: incremental, so compaction
    // can give pages back without rewriting the whole file.
    CAPSTAN_TRY(db_->Exec("PRAGMA auto_vacuum=INCREMENTAL"));
    CAPSTAN_TRY(db_->Exec("PRAGMA journal_mode=WAL"));
    CAPSTAN_TRY(db_->Exec(options_.synchronous_full ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL"));
    CAPSTAN_TRY(db_->Exec(kSchema));
    CAPSTAN_ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT value FROM meta WHERE key='compact'"));
    CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
    compacted_ = row ? q.Int(0) : 0;
    CAPSTAN_TRY(db_->Exec("PRAGMA quick_check"));
    if (options_.compact_interval.count() > 0) {
      compactor_ = std::thread([this] { CompactLoop(); });
    }
    return Ok();
  }

  void Close() {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    { std::lock_guard wake(stop_mu_); }  // the compactor is waiting, or will see closed_
    stop_cv_.notify_all();
    if (compactor_.joinable()) compactor_.join();
    hub_->CloseAll(Error(Code::kUnavailable, "the store closed"));
    std::lock_guard lock(mu_);
    db_.reset();
  }

  Status Open() const {
    if (closed_) return Fail(Code::kUnavailable, "the store is closed");
    return Ok();
  }

  Result<int64_t> RevisionLocked() {
    CAPSTAN_ASSIGN_OR_RETURN(auto q,
                             db_->Prepare("SELECT seq FROM sqlite_sequence WHERE name='kv'"));
    CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  Result<std::optional<Row>> CurrentRow(const std::string& key) {
    CAPSTAN_ASSIGN_OR_RETURN(
        auto q, db_->Prepare(std::string("SELECT ") + kColumns +
                             " FROM current JOIN kv ON kv.id = current.id WHERE current.name = ?"));
    q.Bind(1, key);
    CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<Row>();
    return std::optional<Row>(ReadRow(q));
  }

  Result<KeyValue> Get(const std::string& key) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(auto row, CurrentRow(key));
    if (!row) return Fail(Code::kNotFound, "{} not found", key);
    return ToKv(*row);
  }

  Result<ListResult> List(const std::string& prefix, const ListOptions& options) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(int64_t now, RevisionLocked());
    int64_t at = options.revision == 0 ? now : options.revision;
    if (options.revision != 0 && options.revision < compacted_) {
      return Fail(Code::kOutOfRange, "revision {} is compacted (at {})", options.revision,
                  compacted_);
    }
    std::string end = PrefixEnd(prefix);
    std::string sql;
    // One more than the limit tells whether more follow.
    int64_t fetch = options.limit > 0 ? options.limit + 1 : -1;
    if (at >= now) {
      sql = std::string("SELECT ") + kColumns +
            " FROM current JOIN kv ON kv.id = current.id WHERE current.name >= ?1 AND "
            "current.name > ?2 AND (?3 = '' OR current.name < ?3) ORDER BY current.name LIMIT ?4";
    } else {
      sql = std::string("SELECT ") + kColumns +
            " FROM kv WHERE kv.id IN (SELECT MAX(id) FROM kv WHERE name >= ?1 AND name > ?2 AND "
            "(?3 = '' OR name < ?3) AND id <= ?5 GROUP BY name) AND kv.deleted = 0 "
            "ORDER BY kv.name LIMIT ?4";
    }
    CAPSTAN_ASSIGN_OR_RETURN(auto q, db_->Prepare(sql));
    q.Bind(1, prefix).Bind(2, options.start_after).Bind(3, end).Bind(4, fetch);
    if (at < now) q.Bind(5, at);
    ListResult out;
    out.revision = at;
    while (true) {
      CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
        out.more = true;
        break;
      }
      out.items.push_back(ToKv(ReadRow(q)));
    }
    return out;
  }

  Result<int64_t> Count(const std::string& prefix) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(auto q,
                             db_->Prepare("SELECT COUNT(*) FROM current WHERE name >= ?1 AND "
                                          "(?2 = '' OR name < ?2)"));
    q.Bind(1, prefix).Bind(2, PrefixEnd(prefix));
    CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  // Appends one row and moves `current`; publishes the event after the commit.
  Result<Row> Write(const std::string& key, Row row, bool remove) {
    CAPSTAN_ASSIGN_OR_RETURN(auto tx, sqlite::Transaction::Begin(*db_));
    CAPSTAN_ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare("INSERT INTO kv (name, created, deleted, create_revision, prev_revision, "
                     "value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, key)
        .Bind(2, int64_t{row.created})
        .Bind(3, int64_t{row.deleted})
        .Bind(4, row.create_revision)
        .Bind(5, row.prev_revision)
        .BindBlob(6, row.value)
        .BindBlob(7, row.old_value);
    CAPSTAN_TRY(insert.Run());
    row.id = db_->LastInsertRowId();
    row.name = key;
    if (row.created) {
      row.create_revision = row.id;
      CAPSTAN_ASSIGN_OR_RETURN(auto fix,
                               db_->Prepare("UPDATE kv SET create_revision = ? WHERE id = ?"));
      fix.Bind(1, row.id).Bind(2, row.id);
      CAPSTAN_TRY(fix.Run());
    }
    if (remove) {
      CAPSTAN_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM current WHERE name = ?"));
      del.Bind(1, key);
      CAPSTAN_TRY(del.Run());
    } else {
      CAPSTAN_ASSIGN_OR_RETURN(
          auto up, db_->Prepare("INSERT OR REPLACE INTO current (name, id) VALUES (?, ?)"));
      up.Bind(1, key).Bind(2, row.id);
      CAPSTAN_TRY(up.Run());
    }
    CAPSTAN_TRY(tx.Commit());
    hub_->Publish(ToEvent(row));
    return row;
  }

  Result<KeyValue> Create(const std::string& key, const std::string& value) {
    if (key.empty()) return Fail(Code::kInvalidArgument, "an empty key");
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(auto existing, CurrentRow(key));
    if (existing) return Fail(Code::kAlreadyExists, "{} exists", key);
    Row row;
    row.created = true;
    row.value = value;
    CAPSTAN_ASSIGN_OR_RETURN(Row written, Write(key, std::move(row), false));
    return ToKv(written);
  }

  Result<KeyValue> Update(const std::string& key, const std::string& value, int64_t expected) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(auto existing, CurrentRow(key));
    if (!existing) return Fail(Code::kNotFound, "{} not found", key);
    if (expected != 0 && existing->id != expected) {
      return Fail(Code::kFailedPrecondition, "{} is at revision {}, not {}", key, existing->id,
                  expected);
    }
    Row row;
    row.create_revision = existing->create_revision;
    row.prev_revision = existing->id;
    row.value = value;
    row.old_value = existing->value;
    CAPSTAN_ASSIGN_OR_RETURN(Row written, Write(key, std::move(row), false));
    return ToKv(written);
  }

  Result<KeyValue> Delete(const std::string& key, int64_t expected) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    CAPSTAN_ASSIGN_OR_RETURN(auto existing, CurrentRow(key));
    if (!existing) return Fail(Code::kNotFound, "{} not found", key);
    if (expected != 0 && existing->id != expected) {
      return Fail(Code::kFailedPrecondition, "{} is at revision {}, not {}", key, existing->id,
                  expected);
    }
    Row row;
    row.deleted = true;
    row.create_revision = existing->create_revision;
    row.prev_revision = existing->id;
    row.value = existing->value;
    CAPSTAN_ASSIGN_OR_RETURN(Row written, Write(key, std::move(row), true));
    return KeyValue{key, written.value, written.create_revision, written.id};
  }

  Result<std::unique_ptr<Watch>> WatchPrefix(const std::string& prefix, int64_t after) {
    // Under the write lock: the replay and the switch to live events leave no gap.
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    if (after < compacted_) {
      return Fail(Code::kOutOfRange, "revision {} is compacted (at {})", after, compacted_);
    }
    CAPSTAN_ASSIGN_OR_RETURN(
        auto q, db_->Prepare(std::string("SELECT ") + kColumns +
                             " FROM kv WHERE id > ?1 AND name >= ?2 AND (?3 = '' OR name < ?3) "
                             "ORDER BY id"));
    q.Bind(1, after).Bind(2, prefix).Bind(3, PrefixEnd(prefix));
    std::vector<WatchEvent> replay;
    while (true) {
      CAPSTAN_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      replay.push_back(ToEvent(ReadRow(q)));
    }
    return hub_->Add(prefix, after, std::move(replay));
  }

  Result<int64_t> CurrentRevision() {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    return RevisionLocked();
  }

  int64_t CompactedRevision() {
    std::lock_guard lock(mu_);
    return compacted_;
  }

  Status Compact(int64_t revision) {
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(Open());
    if (revision <= compacted_) return Ok();
    CAPSTAN_ASSIGN_OR_RETURN(int64_t now, RevisionLocked());
    revision = std::min(revision, now);
    {
      CAPSTAN_ASSIGN_OR_RETURN(auto tx, sqlite::Transaction::Begin(*db_));
      // Superseded rows and tombstones at or before the revision; the latest row of every
      // live key stays.
      CAPSTAN_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM kv WHERE id <= ?1 AND id NOT IN "
                                                      "(SELECT id FROM current WHERE id <= ?1)"));
      del.Bind(1, revision);
      CAPSTAN_TRY(del.Run());
      CAPSTAN_ASSIGN_OR_RETURN(
          auto meta,
          db_->Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('compact', ?)"));
      meta.Bind(1, revision);
      CAPSTAN_TRY(meta.Run());
      CAPSTAN_TRY(tx.Commit());
    }
    compacted_ = revision;
    CAPSTAN_TRY(db_->Exec("PRAGMA incremental_vacuum"));
    // Keep the WAL from growing with the churn it just recorded.
    (void)db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return Ok();
  }

 private:
  void CompactLoop() {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, options_.compact_interval, [this] { return closed_.load(); })) {
      auto now = CurrentRevision();
      if (!now) continue;
      int64_t target = *now - options_.compact_keep_revisions;
      if (target <= CompactedRevision()) continue;
      if (auto st = Compact(target); !st) {
        kLog.Warn("compaction failed", {{"error", st.error().message()}});
      } else {
        kLog.Debug("compacted", {{"revision", target}});
      }
    }
  }

  std::unique_ptr<sqlite::Database> db_;
  SqliteOptions options_;
  std::shared_ptr<WatchHub> hub_;
  std::mutex mu_;  // the connection: every statement runs under it
  int64_t compacted_ = 0;
  std::atomic<bool> closed_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread compactor_;
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       SqliteOptions options) {
  CAPSTAN_ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(path));
  auto impl = std::make_unique<Impl>(std::move(db), options);
  CAPSTAN_TRY_WRAP(impl->Init(), "opening the store {}", path);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<KeyValue> SqliteStore::Get(const std::string& key) { return impl_->Get(key); }
Result<ListResult> SqliteStore::List(const std::string& prefix, const ListOptions& options) {
  return impl_->List(prefix, options);
}
Result<int64_t> SqliteStore::Count(const std::string& prefix) { return impl_->Count(prefix); }
Result<KeyValue> SqliteStore::Create(const std::string& key, const std::string& value) {
  return impl_->Create(key, value);
}
Result<KeyValue> SqliteStore::Update(const std::string& key, const std::string& value,
                                     int64_t expected_mod_revision) {
  return impl_->Update(key, value, expected_mod_revision);
}
Result<KeyValue> SqliteStore::Delete(const std::string& key, int64_t expected_mod_revision) {
  return impl_->Delete(key, expected_mod_revision);
}
Result<std::unique_ptr<Watch>> SqliteStore::WatchPrefix(const std::string& prefix,
                                                        int64_t after_revision) {
  return impl_->WatchPrefix(prefix, after_revision);
}
Result<int64_t> SqliteStore::CurrentRevision() { return impl_->CurrentRevision(); }
int64_t SqliteStore::CompactedRevision() { return impl_->CompactedRevision(); }
Status SqliteStore::Compact(int64_t revision) { return impl_->Compact(revision); }
void SqliteStore::Close() { impl_->Close(); }

}  // namespace capstan::control_plane::storage

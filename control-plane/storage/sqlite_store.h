#pragma once
// SqliteStore: the embedded Store, one SQLite file in WAL mode, shaped like k3s's kine.
//
// Every write appends a row to the log table `kv`; the row's id is the revision (AUTOINCREMENT,
// so revisions never go back, also after compaction or restart). `current` maps each live
// key to its latest row, so reads at the latest revision never scan history; reads at an
// older revision take, per key, the newest row at or before it. Compaction deletes rows
// that are superseded or deleted at or before a revision and gives pages back
// (incremental vacuum).
//
// Watches are fed in process: a write publishes its event to the watchers after it commits,
// under the same lock, so a watch that replays history from the table and then switches to
// live events sees every revision exactly once.

#include <chrono>
#include <memory>
#include <string>

#include "control-plane/storage/store.h"

namespace capstan::control_plane::storage {

struct SqliteOptions {
  // FULL fsyncs every commit (a write survives power loss); NORMAL only the WAL checkpoints
  // (a write survives any crash of the process, not of the machine).
  bool synchronous_full = true;
  // Background compaction: every interval, history older than the newest
  // `compact_keep_revisions` revisions goes. Zero interval: only explicit Compact calls.
  std::chrono::seconds compact_interval{300};
  int64_t compact_keep_revisions = 1000;
  // A watcher with more unread events than this is ended with kOutOfRange.
  size_t watcher_queue = 100000;
};

class SqliteStore : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, SqliteOptions options);
  ~SqliteStore() override;

  Result<KeyValue> Get(const std::string& key) override;
  Result<ListResult> List(const std::string& prefix, const ListOptions& options) override;
  Result<int64_t> Count(const std::string& prefix) override;
  Result<KeyValue> Create(const std::string& key, const std::string& value) override;
  Result<KeyValue> Update(const std::string& key, const std::string& value,
                          int64_t expected_mod_revision) override;
  Result<KeyValue> Delete(const std::string& key, int64_t expected_mod_revision) override;
  Result<std::unique_ptr<Watch>> WatchPrefix(const std::string& prefix,
                                             int64_t after_revision) override;
  Result<int64_t> CurrentRevision() override;
  int64_t CompactedRevision() override;
  Status Compact(int64_t revision) override;

  // Closes the database; later calls fail with kUnavailable. Idempotent.
  void Close();

  class Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::control_plane::storage

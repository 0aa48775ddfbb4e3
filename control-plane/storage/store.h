#pragma once
// Store: the control plane's key-value storage with revisions, the contract every backend
// (SQLite today, etcd v3 next) implements and StoreConformance checks.
//
// The model is etcd v3's: one global revision counter, bumped by every successful write
// (create, update, delete); each key remembers the revision that created it and the one that
// last modified it. The API server uses a key's mod_revision as the object's resourceVersion,
// so a revision is never reused, also across restarts.
//
// Thread safety: every method may be called from any thread concurrently.
// Durability: a write that returned success survives a SIGKILL of the process at any moment.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::control_plane::storage {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

struct ListOptions {
  // Keys strictly after this one (a continue token's last key); empty: from the start.
  std::string start_after;
  // At most this many items; 0: no limit.
  int64_t limit = 0;
  // Read the state as of this revision; 0: the latest. Older than the compacted revision:
  // Code::kOutOfRange.
  int64_t revision = 0;
};

struct ListResult {
  std::vector<KeyValue> items;  // sorted by key
  // The revision the list was read at (the store's current revision when options.revision
  // was 0): pass it back in ListOptions::revision to continue a paged list consistently.
  int64_t revision = 0;
  bool more = false;  // true when limit cut the list short
};

enum class EventType { kCreated, kModified, kDeleted };

struct WatchEvent {
  EventType type = EventType::kCreated;
  // kCreated/kModified: the new value; kDeleted: the last value, with mod_revision set to the
  // revision of the delete.
  KeyValue kv;
  // The value before this event (kModified, kDeleted); unset for kCreated.
  std::optional<KeyValue> prev;
  int64_t revision = 0;  // the revision of this event
};

class Watch {
 public:
  virtual ~Watch() = default;  // cancels the watch
  // Waits up to `timeout` for events and returns those available, in revision order (empty
  // on timeout). Code::kOutOfRange when the watcher fell so far behind that events it has not
  // read were compacted; Code::kUnavailable once the store closed. After an error the watch
  // is dead.
  virtual Result<std::vector<WatchEvent>> Next(std::chrono::milliseconds timeout) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Code::kNotFound when absent.
  virtual Result<KeyValue> Get(const std::string& key) = 0;

  // Keys beginning with `prefix`, sorted.
  virtual Result<ListResult> List(const std::string& prefix, const ListOptions& options) = 0;

  // Number of keys under `prefix` at the latest revision.
  virtual Result<int64_t> Count(const std::string& prefix) = 0;

  // Code::kAlreadyExists when the key exists. Returns the stored kv (its revisions set).
  virtual Result<KeyValue> Create(const std::string& key, const std::string& value) = 0;

  // Replaces the value when the key's mod_revision equals `expected_mod_revision` (0: any).
  // Code::kNotFound when absent; Code::kFailedPrecondition when the revision differs.
  virtual Result<KeyValue> Update(const std::string& key, const std::string& value,
                                  int64_t expected_mod_revision) = 0;

  // Removes the key when its mod_revision equals `expected_mod_revision` (0: any); returns
  // the removed kv with mod_revision set to the revision of the delete. Code::kNotFound when
  // absent; Code::kFailedPrecondition when the revision differs.
  virtual Result<KeyValue> Delete(const std::string& key, int64_t expected_mod_revision) = 0;

  // Every event on keys beginning with `prefix` with a revision greater than
  // `after_revision`, then live events. Code::kOutOfRange when `after_revision` is older than
  // the compacted revision (events were lost).
  virtual Result<std::unique_ptr<Watch>> WatchPrefix(const std::string& prefix,
                                                     int64_t after_revision) = 0;

  virtual Result<int64_t> CurrentRevision() = 0;
  virtual int64_t CompactedRevision() = 0;

  // Forgets history at and before `revision` (the latest value of every live key is kept).
  // Lists and watches from before it fail with Code::kOutOfRange afterwards.
  virtual Status Compact(int64_t revision) = 0;
};

}  // namespace capstan::control_plane::storage

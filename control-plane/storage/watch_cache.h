#pragma once
// WatchCache: a Store decorator that serves every watch from one watch on the backend, so
// a thousand watchers (informers, `kubectl get -w`) cost one backend watch, as
// kube-apiserver's cacher does. It keeps a ring of the most recent events: a watch from a
// revision the ring still covers is served from memory; an older one goes to the backend
// (which replays its history or answers kOutOfRange). Reads and writes pass through.
//
// Each watcher has a bounded queue; one that falls further behind than that is ended with
// kOutOfRange (the client lists again), so a stuck reader never holds memory or the
// dispatcher.

#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "control-plane/storage/sqlite_watch_hub.h"
#include "control-plane/storage/store.h"

namespace capstan::control_plane::storage {

struct WatchCacheOptions {
  std::string prefix = "/registry/";  // what the backend watch covers
  size_t ring_size = 10000;           // recent events kept for watches from the past
  size_t watcher_queue = 10000;       // events a watcher may have unread
};

class WatchCache : public Store {
 public:
  // Starts the backend watch at the backend's current revision.
  static Result<std::unique_ptr<WatchCache>> Create(Store* backend, WatchCacheOptions options);
  ~WatchCache() override;

  Result<KeyValue> Get(const std::string& key) override { return backend_->Get(key); }
  Result<ListResult> List(const std::string& prefix, const ListOptions& options) override {
    return backend_->List(prefix, options);
  }
  Result<int64_t> Count(const std::string& prefix) override { return backend_->Count(prefix); }
  Result<KeyValue> Create(const std::string& key, const std::string& value) override {
    return backend_->Create(key, value);
  }
  Result<KeyValue> Update(const std::string& key, const std::string& value,
                          int64_t expected_mod_revision) override {
    return backend_->Update(key, value, expected_mod_revision);
  }
  Result<KeyValue> Delete(const std::string& key, int64_t expected_mod_revision) override {
    return backend_->Delete(key, expected_mod_revision);
  }
  Result<std::unique_ptr<Watch>> WatchPrefix(const std::string& prefix,
                                             int64_t after_revision) override;
  Result<int64_t> CurrentRevision() override { return backend_->CurrentRevision(); }
  int64_t CompactedRevision() override { return backend_->CompactedRevision(); }
  Status Compact(int64_t revision) override { return backend_->Compact(revision); }

  // Watchers served from memory right now (for tests and metrics).
  size_t watchers() const;

 private:
  WatchCache(Store* backend, WatchCacheOptions options, std::unique_ptr<Watch> watch,
             int64_t start_revision);
  void Dispatch();

  Store* backend_;
  WatchCacheOptions options_;
  std::unique_ptr<Watch> backend_watch_;
  mutable std::mutex mu_;
  std::deque<WatchEvent> ring_;
  // Every event after this revision is in the ring (or still to come).
  int64_t ring_from_ = 0;
  int64_t last_revision_ = 0;
  std::shared_ptr<WatchHub> hub_;
  bool stopping_ = false;
  bool broken_ = false;  // the backend watch failed: live watchers were ended
  std::thread dispatcher_;
};

}  // namespace capstan::control_plane::storage

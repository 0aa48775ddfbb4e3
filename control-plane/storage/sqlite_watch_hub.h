#pragma once
// WatchHub: watchers with bounded queues, fed by one publisher in revision order (SqliteStore
// publishes after each commit under its write lock; WatchCache from its one backend watch).

#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>

#include "control-plane/storage/store.h"

namespace capstan::control_plane::storage {

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  struct Watcher {
    std::string prefix;
    int64_t after = 0;  // events at or before this revision were replayed or are not wanted
    std::mutex mu;
    std::condition_variable cv;
    std::deque<WatchEvent> queue;
    std::optional<Error> error;
  };

  // Held by shared_ptr: watches keep a weak reference, so one outliving the store is safe.
  explicit WatchHub(size_t max_queue) : max_queue_(max_queue) {}
  ~WatchHub();  // ends every watcher with kUnavailable

  // A watcher from `after_revision` whose queue starts with `replay` (events already read).
  // Published events at or before that revision are dropped: a publisher running behind
  // the caller's revision must not hand them over twice or out of the range asked for.
  std::unique_ptr<Watch> Add(const std::string& prefix, int64_t after_revision,
                             std::vector<WatchEvent> replay);
  void Publish(const WatchEvent& event);
  // Ends every watcher with `error` (compaction passed them, or the store closed).
  void CloseAll(const Error& error);
  size_t size();

 private:
  void Remove(Watcher* w);

  size_t max_queue_;
  std::mutex mu_;
  std::list<std::shared_ptr<Watcher>> watchers_;
};

}  // namespace capstan::control_plane::storage

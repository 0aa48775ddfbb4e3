#include "control-plane/storage/watch_cache.h"

#include "common/log.h"

namespace capstan::control_plane::storage {
namespace {
const log::Logger kLog("watch-cache");
}

Result<std::unique_ptr<WatchCache>> WatchCache::Create(Store* backend, WatchCacheOptions options) {
  CAPSTAN_ASSIGN_OR_RETURN(int64_t revision, backend->CurrentRevision());
  CAPSTAN_ASSIGN_OR_RETURN(auto watch, backend->WatchPrefix(options.prefix, revision));
  return std::unique_ptr<WatchCache>(
      new WatchCache(backend, std::move(options), std::move(watch), revision));
}

WatchCache::WatchCache(Store* backend, WatchCacheOptions options, std::unique_ptr<Watch> watch,
                       int64_t start_revision)
    : backend_(backend),
      options_(std::move(options)),
      backend_watch_(std::move(watch)),
      ring_from_(start_revision),
      last_revision_(start_revision),
      hub_(std::make_shared<WatchHub>(options_.watcher_queue)) {
  dispatcher_ = std::thread([this] { Dispatch(); });
}

WatchCache::~WatchCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  hub_->CloseAll(Error(Code::kUnavailable, "the store is closing"));
}

size_t WatchCache::watchers() const { return hub_->size(); }

void WatchCache::Dispatch() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto events = backend_watch_->Next(std::chrono::milliseconds(200));
    std::lock_guard lock(mu_);
    if (!events) {
      // The backend watch ended: every live watcher must re-list, as after a restart.
      kLog.Warn("backend watch failed", {{"error", events.error().message()}});
      hub_->CloseAll(Error(Code::kOutOfRange, "the watch cache lost its backend watch"));
      ring_.clear();
      broken_ = true;
      return;
    }
    for (auto& ev : *events) {
      last_revision_ = ev.revision;
      hub_->Publish(ev);
      ring_.push_back(std::move(ev));
      if (ring_.size() > options_.ring_size) {
        ring_from_ = ring_.front().revision;
        ring_.pop_front();
      }
    }
  }
}

Result<std::unique_ptr<Watch>> WatchCache::WatchPrefix(const std::string& prefix,
                                                       int64_t after_revision) {
  std::unique_lock lock(mu_);
  if (broken_ || after_revision < ring_from_) {
    lock.unlock();
    return backend_->WatchPrefix(prefix, after_revision);  // replays from its history
  }
  // Under mu_: the dispatcher publishes nothing between this replay and the registration.
  std::vector<WatchEvent> replay;
  for (const auto& ev : ring_) {
    if (ev.revision > after_revision && ev.kv.key.rfind(prefix, 0) == 0) replay.push_back(ev);
  }
  return hub_->Add(prefix, after_revision, std::move(replay));
}

}  // namespace capstan::control_plane::storage

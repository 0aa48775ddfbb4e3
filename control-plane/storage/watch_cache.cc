#include "control-plane/storage/watch_cache.h"

#include <functional>
#include <optional>

#include "common/log.h"

namespace capstan::control_plane::storage {
namespace {
const log::Logger kLog("watch-cache");
}

struct WatchCache::Subscriber {
  std::string prefix;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<WatchEvent> queue;
  std::optional<Error> error;
};

namespace {

class CachedWatch : public Watch {
 public:
  CachedWatch(std::shared_ptr<WatchCache::Subscriber> sub, std::function<void()> unsubscribe)
      : sub_(std::move(sub)), unsubscribe_(std::move(unsubscribe)) {}
  ~CachedWatch() override { unsubscribe_(); }

  Result<std::vector<WatchEvent>> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(sub_->mu);
    sub_->cv.wait_for(lock, timeout, [&] { return !sub_->queue.empty() || sub_->error; });
    if (!sub_->queue.empty()) {
      std::vector<WatchEvent> out(std::make_move_iterator(sub_->queue.begin()),
                                  std::make_move_iterator(sub_->queue.end()));
      sub_->queue.clear();
      return out;
    }
    if (sub_->error) return std::unexpected(*sub_->error);
    return std::vector<WatchEvent>{};
  }

 private:
  std::shared_ptr<WatchCache::Subscriber> sub_;
  std::function<void()> unsubscribe_;
};

}  // namespace

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
      last_revision_(start_revision) {
  dispatcher_ = std::thread([this] { Dispatch(); });
}

WatchCache::~WatchCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  std::lock_guard lock(mu_);
  for (auto& s : subscribers_) {
    std::lock_guard sl(s->mu);
    s->error = Error(Code::kUnavailable, "the store is closing");
    s->cv.notify_all();
  }
}

size_t WatchCache::watchers() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

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
      for (auto& s : subscribers_) {
        std::lock_guard sl(s->mu);
        s->error = Error(Code::kOutOfRange, "the watch cache lost its backend watch");
        s->cv.notify_all();
      }
      subscribers_.clear();
      ring_.clear();
      broken_ = true;
      return;
    }
    for (auto& ev : *events) {
      last_revision_ = ev.revision;
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        auto& s = *it;
        if (ev.kv.key.rfind(s->prefix, 0) != 0) {
          ++it;
          continue;
        }
        std::lock_guard sl(s->mu);
        if (s->queue.size() >= options_.watcher_queue) {
          s->error = Error(Code::kOutOfRange, "the watcher fell too far behind");
          s->cv.notify_all();
          it = subscribers_.erase(it);
          continue;
        }
        s->queue.push_back(ev);
        s->cv.notify_all();
        ++it;
      }
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
  auto sub = std::make_shared<Subscriber>();
  sub->prefix = prefix;
  for (const auto& ev : ring_) {
    if (ev.revision > after_revision && ev.kv.key.rfind(prefix, 0) == 0) sub->queue.push_back(ev);
  }
  subscribers_.push_back(sub);
  Subscriber* raw = sub.get();
  return std::unique_ptr<Watch>(new CachedWatch(sub, [this, raw] { Unsubscribe(raw); }));
}

void WatchCache::Unsubscribe(Subscriber* s) {
  std::lock_guard lock(mu_);
  subscribers_.remove_if([s](const auto& p) { return p.get() == s; });
}

}  // namespace capstan::control_plane::storage

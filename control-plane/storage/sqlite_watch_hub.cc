#include "control-plane/storage/sqlite_watch_hub.h"

#include <algorithm>
#include <functional>

namespace capstan::control_plane::storage {
namespace {

class HubWatch : public Watch {
 public:
  HubWatch(std::shared_ptr<WatchHub::Watcher> w, std::function<void()> remove)
      : w_(std::move(w)), remove_(std::move(remove)) {}
  ~HubWatch() override { remove_(); }

  Result<std::vector<WatchEvent>> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(w_->mu);
    w_->cv.wait_for(lock, timeout, [&] { return !w_->queue.empty() || w_->error; });
    if (!w_->queue.empty()) {
      std::vector<WatchEvent> out(std::make_move_iterator(w_->queue.begin()),
                                  std::make_move_iterator(w_->queue.end()));
      w_->queue.clear();
      return out;
    }
    if (w_->error) return std::unexpected(*w_->error);
    return std::vector<WatchEvent>{};
  }

 private:
  std::shared_ptr<WatchHub::Watcher> w_;
  std::function<void()> remove_;
};

}  // namespace

WatchHub::~WatchHub() { CloseAll(Error(Code::kUnavailable, "the store closed")); }

std::unique_ptr<Watch> WatchHub::Add(const std::string& prefix, int64_t after_revision,
                                     std::vector<WatchEvent> replay) {
  auto w = std::make_shared<Watcher>();
  w->prefix = prefix;
  w->after = replay.empty() ? after_revision : std::max(after_revision, replay.back().revision);
  w->queue.assign(std::make_move_iterator(replay.begin()), std::make_move_iterator(replay.end()));
  {
    std::lock_guard lock(mu_);
    watchers_.push_back(w);
  }
  Watcher* raw = w.get();
  std::weak_ptr<WatchHub> hub = weak_from_this();
  return std::make_unique<HubWatch>(w, [hub, raw] {
    if (auto h = hub.lock()) h->Remove(raw);
  });
}

void WatchHub::Publish(const WatchEvent& event) {
  std::lock_guard lock(mu_);
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    auto& w = *it;
    if (event.kv.key.rfind(w->prefix, 0) != 0 || event.revision <= w->after) {
      ++it;
      continue;
    }
    std::lock_guard wl(w->mu);
    if (w->queue.size() >= max_queue_) {
      w->error = Error(Code::kOutOfRange, "the watcher fell too far behind");
      w->cv.notify_all();
      it = watchers_.erase(it);
      continue;
    }
    w->queue.push_back(event);
    w->cv.notify_all();
    ++it;
  }
}

void WatchHub::CloseAll(const Error& error) {
  std::lock_guard lock(mu_);
  for (auto& w : watchers_) {
    std::lock_guard wl(w->mu);
    w->error = error;
    w->cv.notify_all();
  }
  watchers_.clear();
}

size_t WatchHub::size() {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

void WatchHub::Remove(Watcher* w) {
  std::lock_guard lock(mu_);
  watchers_.remove_if([w](const auto& p) { return p.get() == w; });
}

}  // namespace capstan::control_plane::storage

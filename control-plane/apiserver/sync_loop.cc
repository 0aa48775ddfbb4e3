#include "control-plane/apiserver/sync_loop.h"

namespace capstan::control_plane::apiserver {

SyncLoop::SyncLoop(std::chrono::milliseconds period, std::function<void()> sync)
    : period_(period), sync_(std::move(sync)) {}

SyncLoop::~SyncLoop() { Stop(); }

void SyncLoop::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      pending_ = false;
      lock.unlock();
      sync_();
      lock.lock();
      cv_.wait_for(lock, period_, [this] { return stopping_ || pending_; });
    }
  });
}

void SyncLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncLoop::Notify() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

}  // namespace capstan::control_plane::apiserver

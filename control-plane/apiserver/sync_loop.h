#pragma once
// SyncLoop: the thread behind capstan-server's small controllers (the CSR signer, the
// namespace defaults). It runs `sync` at once, then again every `period`, or sooner when
// notified that something it looks at changed.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace capstan::control_plane::apiserver {

class SyncLoop {
 public:
  SyncLoop(std::chrono::milliseconds period, std::function<void()> sync);
  ~SyncLoop();
  void Start();
  // Waits for a sync in progress to end. Idempotent.
  void Stop();
  // Sync soon rather than at the next period.
  void Notify();

 private:
  std::chrono::milliseconds period_;
  std::function<void()> sync_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool pending_ = false;
  std::thread thread_;
};

}  // namespace capstan::control_plane::apiserver

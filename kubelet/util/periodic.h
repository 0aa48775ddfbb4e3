#pragma once
// PeriodicTask: background housekeeping (log rotation, container and image GC) driven by the
// sync loop's Tick on the injected clock, as upstream drives it with wait.Until. The first
// Tick runs the task; later Ticks run it again once `period` has passed since the last start.
// A run still in flight is never overlapped: a slow round (a long image removal) delays the
// next one instead of piling up. Runs go to `executor`, or inline in Tick when it is null
// (tests). The owner drains the executor before destroying the task. Thread-safe.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include "common/time.h"
#include "kubelet/util/executor.h"

namespace capstan::kubelet::util {

class PeriodicTask {
 public:
  PeriodicTask(const Clock* clock, std::chrono::milliseconds period, Executor* executor,
               std::function<void()> fn)
      : clock_(clock), period_(period), executor_(executor), fn_(std::move(fn)) {}

  void Tick() {
    {
      std::lock_guard lock(mu_);
      auto now = clock_->Monotonic();
      if (running_ || (next_ && now < *next_)) {
        return;
      }
      next_ = now + period_;
      running_ = true;
    }
    auto run = [this] {
      fn_();
      std::lock_guard lock(mu_);
      running_ = false;
    };
    if (executor_) {
      executor_->Post(std::move(run));
    } else {
      run();
    }
  }

  bool Running() const {
    std::lock_guard lock(mu_);
    return running_;
  }

 private:
  const Clock* clock_;
  std::chrono::milliseconds period_;
  Executor* executor_;
  std::function<void()> fn_;
  mutable std::mutex mu_;
  bool running_ = false;
  std::optional<std::chrono::steady_clock::time_point> next_;
};

}  // namespace capstan::kubelet::util

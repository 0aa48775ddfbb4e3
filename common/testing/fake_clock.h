#pragma once
// FakeClock: a Clock that only moves when the test says so. Wall and monotonic time advance
// together. Thread-safe (workers read it while the test advances it).

#include <chrono>
#include <mutex>

#include "common/time.h"

namespace capstan::testing {

class FakeClock : public Clock {
 public:
  // Starts at a fixed, recognisable instant (2026-01-01T00:00:00Z) so timestamps in
  // assertions are stable.
  FakeClock() : wall_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

  WallTime Now() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    mono_ += d;
  }

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  std::chrono::steady_clock::time_point mono_{std::chrono::hours(1000)};
};

}  // namespace capstan::testing

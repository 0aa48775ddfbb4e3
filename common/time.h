#pragma once
// Wall-clock helpers and the Clock seam: code that waits or measures time takes a Clock so
// tests drive it with a fake.

#include <chrono>
#include <cstdint>
#include <string>

namespace capstan {

using WallTime = std::chrono::system_clock::time_point;

inline WallTime WallNow() { return std::chrono::system_clock::now(); }
inline int64_t UnixNanos(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
inline WallTime FromUnixNanos(int64_t ns) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(ns)));
}

// "2026-11-29T15:00:00.123456789Z", the CRI log file's and Kubernetes' timestamp form.
// "2006-01-02T15:04:05Z" (whole seconds, as metav1.Time is written).
std::string FormatRfc3339(WallTime t);
std::string FormatRfc3339Nano(WallTime t);
// "2006-01-02T15:04:05.000000Z": metav1.MicroTime (Lease renewals, events.k8s.io), which
// Go clients parse with exactly six fractional digits.
std::string FormatMicroTime(WallTime t);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class RealClock : public Clock {
 public:
  WallTime Now() const override { return WallNow(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace capstan

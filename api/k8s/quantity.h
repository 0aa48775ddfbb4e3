#pragma once
// Kubernetes resource quantities ("100m", "1", "128Mi", "1G", "1.5", "2e3"): parsed exactly
// into milli-units, as resource.Quantity does for every value the kubelet acts on.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::api::k8s {

class Quantity {
 public:
  Quantity() = default;
  // Parses the canonical forms: a decimal number (optional sign, fraction, exponent "e3")
  // with an optional binary (Ki Mi Gi Ti Pi Ei) or decimal (n u m k M G T P E) suffix.
  // Values are kept in milli-units; finer fractions round up (as the API server rounds
  // requests up to the nearest milli).
  static Result<Quantity> Parse(std::string_view text);
  static Quantity FromMilli(int64_t milli) { return Quantity(milli, ""); }
  static Quantity FromUnits(int64_t units) { return Quantity(units * 1000, ""); }

  int64_t MilliValue() const { return milli_; }
  // Whole units, rounded up ("100m" -> 1, as Quantity.Value does).
  int64_t Value() const { return milli_ >= 0 ? (milli_ + 999) / 1000 : milli_ / 1000; }
  bool IsZero() const { return milli_ == 0; }
  // As written when parsed; otherwise a canonical form ("100m", "2", "128Mi" is not
  // reconstructed: binary values print as plain bytes).
  std::string ToString() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.milli_ == b.milli_; }
  friend auto operator<=>(const Quantity& a, const Quantity& b) { return a.milli_ <=> b.milli_; }

 private:
  Quantity(int64_t milli, std::string text) : milli_(milli), text_(std::move(text)) {}
  int64_t milli_ = 0;
  std::string text_;
};

// A count of bytes in resource.Quantity's canonical BinarySI form: the largest binary suffix
// that keeps the number whole ("100Mi", "46448Ki", "1000").
std::string FormatBinarySI(int64_t bytes);

}  // namespace capstan::api::k8s

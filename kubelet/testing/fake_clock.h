#pragma once
// The kubelet's tests use the common FakeClock.

#include "common/testing/fake_clock.h"

namespace capstan::kubelet::testing {
using capstan::testing::FakeClock;
}  // namespace capstan::kubelet::testing

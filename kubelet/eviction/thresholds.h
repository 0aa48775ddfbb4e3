#pragma once
// Eviction thresholds and what the node observes (upstream's pkg/kubelet/eviction API):
// evictionHard / evictionSoft ("memory.available": "100Mi" or "10%") with soft grace
// periods, the signals' observed values from the stats Summary, and which thresholds are met.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cadvisor-lite/summary.h"
#include "common/error.h"

namespace capstan::kubelet::eviction {

enum class Signal {
  kMemoryAvailable,
  kNodeFsAvailable,
  kNodeFsInodesFree,
  kImageFsAvailable,
  kPidAvailable
};
std::string SignalName(Signal s);   // "memory.available", ...
std::string ResourceOf(Signal s);   // "memory", "ephemeral-storage", "inodes", "pids"
std::string ConditionOf(Signal s);  // "MemoryPressure", "DiskPressure", "PIDPressure"

struct Threshold {
  Signal signal = Signal::kMemoryAvailable;
  std::optional<int64_t> quantity;  // available below this many bytes/inodes/pids
  double percentage = 0;            // or below this share of capacity (0..1)
  bool soft = false;
  std::chrono::seconds grace_period{0};  // soft only
  // The amount below which `available` counts as pressure, for a given capacity.
  int64_t Value(int64_t capacity) const;
};

// Parses the kubelet configuration's maps. Unknown signals, bad quantities, soft thresholds
// without a grace period: InvalidArgument.
Result<std::vector<Threshold>> ParseThresholds(const std::map<std::string, std::string>& hard,
                                               const std::map<std::string, std::string>& soft,
                                               const std::map<std::string, std::string>& grace);

struct Observation {
  int64_t available = 0;
  int64_t capacity = 0;
};
using Observations = std::map<Signal, Observation>;

// The signals the summary carries (a missing part leaves its signals out).
Observations Observe(const cadvisor::Summary& summary, int64_t memory_capacity_bytes);

// The thresholds whose signal is below its value right now.
std::vector<Threshold> ThresholdsMet(const std::vector<Threshold>& thresholds,
                                     const Observations& observed);

}  // namespace capstan::kubelet::eviction

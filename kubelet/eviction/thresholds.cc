#include "kubelet/eviction/thresholds.h"

#include <cmath>

#include "api/k8s/quantity.h"
#include "kubelet/config/kubelet_config.h"

namespace capstan::kubelet::eviction {

namespace {

const std::pair<const char*, Signal> kSignals[] = {
    {"memory.available", Signal::kMemoryAvailable},
    {"nodefs.available", Signal::kNodeFsAvailable},
    {"nodefs.inodesFree", Signal::kNodeFsInodesFree},
    {"imagefs.available", Signal::kImageFsAvailable},
    {"pid.available", Signal::kPidAvailable},
};

Result<Signal> ParseSignal(const std::string& name) {
  for (const auto& [n, s] : kSignals) {
    if (name == n) return s;
  }
  return Fail(Code::kInvalidArgument,
              "eviction signal {:?} is not one of memory.available, "
              "nodefs.available, nodefs.inodesFree, imagefs.available, pid.available",
              name);
}

Result<Threshold> ParseOne(const std::string& signal, const std::string& value, bool soft) {
  Threshold t;
  CAPSTAN_ASSIGN_OR_RETURN(t.signal, ParseSignal(signal));
  t.soft = soft;
  if (!value.empty() && value.back() == '%') {
    char* end = nullptr;
    std::string number = value.substr(0, value.size() - 1);
    double pct = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !(pct >= 0 && pct <= 100)) {
      return Fail(Code::kInvalidArgument, "eviction threshold {}={:?}: bad percentage", signal,
                  value);
    }
    t.percentage = pct / 100;
    return t;
  }
  auto q = api::k8s::Quantity::Parse(value);
  if (!q || q->MilliValue() < 0) {
    return Fail(Code::kInvalidArgument,
                "eviction threshold {}={:?}: want a quantity or a "
                "percentage",
                signal, value);
  }
  t.quantity = q->Value();
  return t;
}

}  // namespace

std::string SignalName(Signal s) {
  for (const auto& [n, sig] : kSignals) {
    if (sig == s) return n;
  }
  return "";
}

std::string ResourceOf(Signal s) {
  switch (s) {
    case Signal::kMemoryAvailable: return "memory";
    case Signal::kNodeFsAvailable:
    case Signal::kImageFsAvailable: return "ephemeral-storage";
    case Signal::kNodeFsInodesFree: return "inodes";
    case Signal::kPidAvailable: return "pids";
  }
  return "";
}

std::string ConditionOf(Signal s) {
  switch (s) {
    case Signal::kMemoryAvailable: return "MemoryPressure";
    case Signal::kPidAvailable: return "PIDPressure";
    default: return "DiskPressure";
  }
}

int64_t Threshold::Value(int64_t capacity) const {
  if (quantity) return *quantity;
  return static_cast<int64_t>(std::llround(static_cast<double>(capacity) * percentage));
}

Result<std::vector<Threshold>> ParseThresholds(const std::map<std::string, std::string>& hard,
                                               const std::map<std::string, std::string>& soft,
                                               const std::map<std::string, std::string>& grace) {
  std::vector<Threshold> out;
  for (const auto& [signal, value] : hard) {
    CAPSTAN_ASSIGN_OR_RETURN(auto t, ParseOne(signal, value, false));
    out.push_back(t);
  }
  for (const auto& [signal, value] : soft) {
    CAPSTAN_ASSIGN_OR_RETURN(auto t, ParseOne(signal, value, true));
    auto g = grace.find(signal);
    if (g == grace.end()) {
      return Fail(Code::kInvalidArgument, "evictionSoft {} has no evictionSoftGracePeriod", signal);
    }
    CAPSTAN_ASSIGN_OR_RETURN(auto d, config::ParseGoDuration(g->second));
    t.grace_period = std::chrono::duration_cast<std::chrono::seconds>(d);
    out.push_back(t);
  }
  return out;
}

Observations Observe(const cadvisor::Summary& summary, int64_t memory_capacity_bytes) {
  Observations o;
  const auto& n = summary.node;
  if (n.memory && n.memory->working_set_bytes && memory_capacity_bytes > 0) {
    int64_t ws = static_cast<int64_t>(*n.memory->working_set_bytes);
    o[Signal::kMemoryAvailable] = {std::max<int64_t>(memory_capacity_bytes - ws, 0),
                                   memory_capacity_bytes};
  }
  if (n.fs && n.fs->available_bytes && n.fs->capacity_bytes) {
    o[Signal::kNodeFsAvailable] = {static_cast<int64_t>(*n.fs->available_bytes),
                                   static_cast<int64_t>(*n.fs->capacity_bytes)};
  }
  if (n.fs && n.fs->inodes_free && n.fs->inodes) {
    o[Signal::kNodeFsInodesFree] = {static_cast<int64_t>(*n.fs->inodes_free),
                                    static_cast<int64_t>(*n.fs->inodes)};
  }
  if (n.image_fs && n.image_fs->available_bytes && n.image_fs->capacity_bytes) {
    o[Signal::kImageFsAvailable] = {static_cast<int64_t>(*n.image_fs->available_bytes),
                                    static_cast<int64_t>(*n.image_fs->capacity_bytes)};
  }
  if (n.max_pid && n.cur_proc) {
    int64_t max = static_cast<int64_t>(*n.max_pid);
    o[Signal::kPidAvailable] = {std::max<int64_t>(max - static_cast<int64_t>(*n.cur_proc), 0), max};
  }
  return o;
}

std::vector<Threshold> ThresholdsMet(const std::vector<Threshold>& thresholds,
                                     const Observations& observed) {
  std::vector<Threshold> out;
  for (const auto& t : thresholds) {
    auto it = observed.find(t.signal);
    if (it != observed.end() && it->second.available < t.Value(it->second.capacity)) {
      out.push_back(t);
    }
  }
  return out;
}

}  // namespace capstan::kubelet::eviction

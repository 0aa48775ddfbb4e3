#include "kubelet/cm/qos.h"

#include <set>

namespace capstan::kubelet::cm {

std::string QosClassName(QosClass q) {
  switch (q) {
    case QosClass::kGuaranteed: return "Guaranteed";
    case QosClass::kBurstable: return "Burstable";
    case QosClass::kBestEffort: return "BestEffort";
  }
  return "BestEffort";
}

QosClass ComputePodQos(const api::k8s::Pod& pod) {
  std::map<std::string, int64_t> requests, limits;
  bool guaranteed = true;
  auto visit = [&](const api::k8s::Container& c) {
    for (const auto& [name, q] : c.resources.requests) {
      if ((name == "cpu" || name == "memory") && q.MilliValue() > 0) {
        requests[name] += q.MilliValue();
      }
    }
    std::set<std::string> found;
    for (const auto& [name, q] : c.resources.limits) {
      if ((name == "cpu" || name == "memory") && q.MilliValue() > 0) {
        found.insert(name);
        limits[name] += q.MilliValue();
      }
    }
    if (!found.contains("cpu") || !found.contains("memory")) {
      guaranteed = false;
    }
  };
  for (const auto& c : pod.spec.containers) {
    visit(c);
  }
  for (const auto& c : pod.spec.init_containers) {
    visit(c);
  }
  if (requests.empty() && limits.empty()) {
    return QosClass::kBestEffort;
  }
  if (guaranteed) {
    for (const auto& [name, req] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != req) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size() == limits.size()) {
    return QosClass::kGuaranteed;
  }
  return QosClass::kBurstable;
}

int ContainerOomScoreAdjust(const api::k8s::Pod& pod, const api::k8s::Container& container,
                            int64_t memory_capacity_bytes) {
  if (pod.spec.priority_class_name == "system-node-critical") {
    return kGuaranteedOomScoreAdj;
  }
  switch (ComputePodQos(pod)) {
    case QosClass::kGuaranteed: return kGuaranteedOomScoreAdj;
    case QosClass::kBestEffort: return kBestEffortOomScoreAdj;
    case QosClass::kBurstable: break;
  }
  int64_t request = 0;
  if (auto it = container.resources.requests.find("memory");
      it != container.resources.requests.end()) {
    request = it->second.Value();
  }
  if (memory_capacity_bytes <= 0) {
    return kBestEffortOomScoreAdj - 1;
  }
  int64_t adj = 1000 - (1000 * static_cast<__int128>(request)) / memory_capacity_bytes;
  if (adj < 1000 + kGuaranteedOomScoreAdj) {
    return 1000 + kGuaranteedOomScoreAdj;
  }
  if (adj == kBestEffortOomScoreAdj) {
    return static_cast<int>(adj - 1);
  }
  return static_cast<int>(adj);
}

}  // namespace capstan::kubelet::cm

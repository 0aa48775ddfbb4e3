#pragma once
// Pod QoS classes (v1qos.ComputePodQOS) and the OOM score adjustment each class gets
// (qos.GetContainerOOMScoreAdjust).

#include <cstdint>
#include <string>

#include "api/k8s/pod.h"

namespace capstan::kubelet::cm {

enum class QosClass { kGuaranteed, kBurstable, kBestEffort };
std::string QosClassName(QosClass q);  // "Guaranteed", "Burstable", "BestEffort"

// Guaranteed: every container (init included) has cpu and memory limits, and requests equal
// limits; BestEffort: no cpu/memory requests or limits anywhere; Burstable otherwise.
QosClass ComputePodQos(const api::k8s::Pod& pod);

constexpr int kGuaranteedOomScoreAdj = -997;
constexpr int kBestEffortOomScoreAdj = 1000;
// Burstable containers scale with their memory request against the node's capacity:
// 1000 - 1000 * request / capacity, clamped to [3, 999].
int ContainerOomScoreAdjust(const api::k8s::Pod& pod, const api::k8s::Container& container,
                            int64_t memory_capacity_bytes);

}  // namespace capstan::kubelet::cm

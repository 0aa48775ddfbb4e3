#pragma once
// The Priority admission plugin, as kube-apiserver runs it:
//   - a new pod's priorityClassName resolves to the class's value and preemptionPolicy; no
//     name takes the globalDefault class (the highest if several), or priority 0;
//   - a class that does not exist, or a pod that sets a priority or preemptionPolicy other
//     than its class gives, is refused (403, upstream's words);
//   - a new PriorityClass may not be a second globalDefault, and "system-" names are kept
//     for the two built-in classes the server creates at start.

#include <vector>

#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

inline constexpr int32_t kHighestUserDefinablePriority = 1000000000;

// The built-in classes (system-node-critical, system-cluster-critical), as objects.
std::vector<Json> SystemPriorityClasses();

ApiResult<void> AdmitPodPriority(storage::Store* store, Json& pod);
ApiResult<void> AdmitPriorityClass(storage::Store* store, const Json& priority_class);

}  // namespace capstan::control_plane::apiserver

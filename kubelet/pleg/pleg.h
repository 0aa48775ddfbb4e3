#pragma once
// PodLifecycleEventGenerator: turns changes in the runtime into per-pod events that wake the
// pod's worker (a container started, died, was removed). The CRI's streaming
// GetContainerEvents is the intended source; relisting (GenericPleg) is the mechanism for
// now and stays the fallback.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::pleg {

enum class EventType { kContainerStarted, kContainerDied, kContainerRemoved, kContainerChanged };
std::string_view EventTypeName(EventType t);

struct PodLifecycleEvent {
  std::string pod_uid;
  EventType type;
  std::string id;  // container (or sandbox) id

  friend bool operator==(const PodLifecycleEvent&, const PodLifecycleEvent&) = default;
};

class PodLifecycleEventGenerator {
 public:
  virtual ~PodLifecycleEventGenerator() = default;
  // One pass over the runtime; events found are queued for TakeEvents.
  virtual Status Relist() = 0;
  virtual std::vector<PodLifecycleEvent> TakeEvents() = 0;
  // False when no relist succeeded for a while (the runtime is stuck or gone).
  virtual bool Healthy() const = 0;
};

}  // namespace capstan::kubelet::pleg

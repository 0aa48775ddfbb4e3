#pragma once
// PodLifecycleEventGenerator: turns changes in the runtime into per-pod events that wake the
// pod's worker (a container started, died, was removed). GenericPleg relists the runtime;
// EventedPleg follows the CRI's GetContainerEvents stream and keeps relisting, rarely, as
// the safety net and, every second, whenever the stream is down.

#include <chrono>
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

  // How often the kubelet should call Relist, given its configured relist period.
  virtual std::chrono::milliseconds RelistPeriod(std::chrono::milliseconds configured) const {
    return configured;
  }
  // Background work (the evented PLEG's stream); Start is idempotent, Stop joins it.
  virtual void Start() {}
  virtual void Stop() {}
};

}  // namespace capstan::kubelet::pleg

#pragma once
// EventedPleg: pod lifecycle events from the runtime's GetContainerEvents stream
// (pkg/kubelet/pleg/evented.go), with a GenericPleg underneath as the safety net.
//
// A thread of its own holds the stream open. While it is connected, each event becomes a
// pod event at once and relisting slows to once every five minutes (the relist threshold
// grows to ten). When the stream breaks or the runtime has no events (Unimplemented, older
// containerd), the kubelet's own relist period (1 s) applies again, a relist catches up with
// what was missed, and the stream is retried with back-off. Upstream gives up on events after
// five failures; retrying for ever costs one call per back-off and recovers after a runtime
// restart or upgrade.
//
// Event -> pod event, as upstream: STARTED -> ContainerStarted, STOPPED -> ContainerDied,
// DELETED -> ContainerDied + ContainerRemoved, CREATED -> none (the generic PLEG ignores
// creations as well). Sandboxes' own events count as their containers'. The pod is the one
// the event's sandbox status names.
//
// Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "api/cri/runtime_service.h"
#include "common/cancel.h"
#include "kubelet/pleg/generic_pleg.h"

namespace capstan::kubelet::pleg {

class EventedPleg : public PodLifecycleEventGenerator {
 public:
  struct Options {
    // Relisting while events flow, and the relist threshold then (upstream's values).
    std::chrono::milliseconds evented_relist_period = std::chrono::minutes(5);
    std::chrono::seconds evented_relist_threshold = std::chrono::minutes(10);
    std::chrono::seconds relist_threshold = std::chrono::minutes(3);
    // Retrying a broken stream: doubling from initial to max; a reconnect starts over.
    std::chrono::milliseconds retry_initial = std::chrono::seconds(1);
    std::chrono::milliseconds retry_max = std::chrono::minutes(1);
    // Retrying a runtime that answered Unimplemented (it might be upgraded).
    std::chrono::milliseconds unimplemented_retry = std::chrono::minutes(5);
    // Events waiting for TakeEvents beyond this are dropped (and Healthy says false).
    size_t max_pending = 10000;
  };

  EventedPleg(api::cri::RuntimeService* runtime, GenericPleg::Lister lister, const Clock* clock,
              Options options);
  ~EventedPleg() override;

  Status Relist() override;
  std::vector<PodLifecycleEvent> TakeEvents() override;
  bool Healthy() const override;
  std::chrono::milliseconds RelistPeriod(std::chrono::milliseconds configured) const override;
  void Start() override;
  void Stop() override;

  // Whether the event stream is connected now.
  bool Streaming() const { return streaming_.load(); }

 private:
  void Loop();
  void OnConnected();
  bool HandleEvent(const api::cri::v1::ContainerEventResponse& event);

  api::cri::RuntimeService* runtime_;
  GenericPleg generic_;
  Options options_;

  std::mutex relist_mu_;  // one relist at a time: the kubelet's and the stream thread's
  mutable std::mutex mu_;
  std::vector<PodLifecycleEvent> events_;
  bool overflowed_ = false;
  std::atomic<bool> relist_soon_{false};  // events were dropped: relist at the short period

  std::atomic<bool> streaming_{false};
  CancelToken stop_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::once_flag started_;
  std::thread thread_;
};

// The pod an event belongs to: its sandbox's metadata uid, else the pod uid label of the
// sandbox or of the container; empty when the event names none (it is then ignored).
std::string PodUidOfEvent(const api::cri::v1::ContainerEventResponse& event);

}  // namespace capstan::kubelet::pleg

#pragma once
// ProberManager: a worker per (pod, container, probe type), driven by the injected clock:
// RunDueProbes runs each worker whose period elapsed on the executor, at most one round per
// worker at a time. Also fills containers' started/ready in a pod status from the results
// (UpdatePodStatus). Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "api/k8s/pod.h"
#include "common/time.h"
#include "kubelet/prober/prober.h"
#include "kubelet/prober/results.h"
#include "kubelet/prober/worker.h"
#include "kubelet/util/executor.h"

namespace capstan::kubelet::prober {

class ProberManager {
 public:
  using StatusProvider = std::function<std::optional<api::k8s::PodStatus>(const std::string&)>;
  ProberManager(Prober* prober, util::Executor* executor, const Clock* clock,
                StatusProvider status);

  // Starts workers for the pod's probes (idempotent).
  void AddPod(const api::k8s::Pod& pod);
  // A terminating pod keeps its readiness probes (to report unready) but stops liveness and
  // startup probes, which could only restart what is being stopped.
  void StopLivenessAndStartup(const std::string& uid);
  void RemovePod(const std::string& uid);

  // Starts one round of every worker that is due.
  void RunDueProbes();
  // Sets started and ready of the app containers as upstream's UpdatePodStatus does.
  void UpdatePodStatus(const api::k8s::Pod& pod, api::k8s::PodStatus& status) const;

  ResultsManager& liveness() { return liveness_; }
  ResultsManager& readiness() { return readiness_; }
  ResultsManager& startup() { return startup_; }
  size_t WorkerCount() const;

 private:
  using Key = std::tuple<std::string, std::string, ProbeType>;  // uid, container, type
  struct Slot {
    std::shared_ptr<Worker> worker;
    std::chrono::steady_clock::time_point next_due;
    bool in_flight = false;
    bool removed = false;
  };
  void Finish(const Key& key, const std::shared_ptr<Worker>& w, bool keep_going);

  Prober* prober_;
  util::Executor* executor_;
  const Clock* clock_;
  StatusProvider status_;
  ResultsManager liveness_, readiness_, startup_;
  mutable std::mutex mu_;
  std::map<Key, Slot> workers_;
};

}  // namespace capstan::kubelet::prober

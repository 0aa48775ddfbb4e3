#pragma once
// One probe of one container (prober/worker.go): probes every periodSeconds once the
// container runs and initialDelaySeconds passed, and settles a result only after
// successThreshold / failureThreshold equal results in a row. Liveness and startup probes
// hold after a failure until the container is replaced; only the startup probe runs until
// the container has started. Not thread-safe: the manager runs one probe at a time per
// worker.

#include <chrono>
#include <optional>
#include <string>

#include "api/k8s/pod.h"
#include "common/time.h"
#include "kubelet/prober/prober.h"
#include "kubelet/prober/results.h"

namespace capstan::kubelet::prober {

class Worker {
 public:
  Worker(ProbeType type, api::k8s::Pod pod, api::k8s::Container container, ResultsManager* results,
         Prober* prober, const Clock* clock);

  // One round; false when probing this container is over for good.
  bool DoProbe(const std::optional<api::k8s::PodStatus>& status);
  // Forgets the result of the probed container (the pod is gone).
  void Stop();

  ProbeType type() const { return type_; }
  const api::k8s::Probe& spec() const { return spec_; }
  std::chrono::steady_clock::duration period() const {
    return std::chrono::seconds(std::max(spec_.period_seconds, 1));
  }

 private:
  ProbeType type_;
  api::k8s::Pod pod_;
  api::k8s::Container container_;
  api::k8s::Probe spec_;
  ResultsManager* results_;
  Prober* prober_;
  const Clock* clock_;
  ProbeResult initial_;
  std::string container_id_;  // runtime id of the container being probed
  std::optional<ProbeResult> last_result_;
  int result_run_ = 0;
  bool on_hold_ = false;
};

// "containerd://abc" -> "abc".
std::string RuntimeIdOf(const std::string& container_id);

}  // namespace capstan::kubelet::prober

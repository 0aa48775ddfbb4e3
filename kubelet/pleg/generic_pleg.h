#pragma once
// GenericPleg: relists every sandbox and container and diffs the states against the last
// relist (pkg/kubelet/pleg/generic.go). Sandboxes count as containers (ready = running), so
// a sandbox that dies wakes its pod too. The Kubelet calls Relist once per relist period
// from its sync loop. Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "common/time.h"
#include "kubelet/container/pod_status.h"
#include "kubelet/pleg/pleg.h"

namespace capstan::kubelet::pleg {

class GenericPleg : public PodLifecycleEventGenerator {
 public:
  // Lists every pod in the runtime, including stopped sandboxes and exited containers
  // (RuntimeManager::GetPods(true)).
  using Lister = std::function<Result<std::vector<container::RunningPod>>()>;

  GenericPleg(Lister lister, const Clock* clock,
              std::chrono::seconds relist_threshold = std::chrono::minutes(3));

  Status Relist() override;
  std::vector<PodLifecycleEvent> TakeEvents() override;
  bool Healthy() const override;
  // How long without a successful relist counts as unhealthy (longer while events flow).
  void SetRelistThreshold(std::chrono::seconds threshold);

 private:
  enum class State { kRunning, kExited, kUnknown, kNonExistent };
  using PodStates = std::map<std::string, State>;  // container/sandbox id -> state

  Lister lister_;
  const Clock* clock_;
  std::chrono::seconds threshold_;
  mutable std::mutex mu_;
  std::map<std::string, PodStates> previous_;  // pod uid -> states
  std::vector<PodLifecycleEvent> events_;
  std::optional<std::chrono::steady_clock::time_point> last_relist_;
  std::chrono::steady_clock::time_point created_;
};

}  // namespace capstan::kubelet::pleg

#pragma once
// PodWorkers: one serialised stream of work per pod (pod_workers.go). Updates for a pod
// never run concurrently; while a sync runs, newer updates replace the pending one (only the
// latest spec matters). A pod moves syncing -> terminating -> terminated, never back: a
// kill is sticky, and a pod re-added under the same uid while terminating (a static pod
// file removed and restored) starts afresh once its termination completed.
//
// Syncs re-run on their own: after a success at the resync interval, after an error at the
// back-off period (Tick dispatches what is due, by the injected clock).
//
// Static pods (from files) with the same full name never run side by side: a changed
// manifest is a new uid, and the new pod waits until the old one has terminated, so the
// two never compete for host ports and host paths (as upstream).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"
#include "common/time.h"
#include "kubelet/container/pod_status.h"
#include "kubelet/util/executor.h"

namespace capstan::kubelet::podworkers {

enum class UpdateType { kCreate, kUpdate, kSync, kKill };

struct UpdatePodOptions {
  UpdateType type = UpdateType::kSync;
  api::k8s::Pod pod;
  // Kill only: a pod found in the runtime that the kubelet has no spec for.
  std::optional<container::RunningPod> running_pod;
  std::optional<int64_t> grace_period_override;
};

// What the workers run; the Kubelet implements it.
class PodSyncer {
 public:
  virtual ~PodSyncer() = default;
  // Moves the pod toward its spec; true when the pod reached a terminal phase.
  virtual Result<bool> SyncPod(UpdateType type, const api::k8s::Pod& pod) = 0;
  // Stops every container of the pod; Ok only when none runs any more.
  virtual Status SyncTerminatingPod(const api::k8s::Pod& pod,
                                    std::optional<int64_t> grace_period_override) = 0;
  virtual Status SyncTerminatingRuntimePod(const container::RunningPod& pod) = 0;
  // Releases what the pod held (volumes, cgroups, runtime records) after it stopped.
  virtual Status SyncTerminatedPod(const api::k8s::Pod& pod) = 0;
};

class PodWorkers {
 public:
  struct Options {
    std::chrono::seconds resync_interval{60};
    std::chrono::seconds backoff_period{10};
  };
  PodWorkers(PodSyncer* syncer, util::Executor* executor, const Clock* clock, Options options);
  PodWorkers(PodSyncer* syncer, util::Executor* executor, const Clock* clock)
      : PodWorkers(syncer, executor, clock, Options{}) {}

  void UpdatePod(UpdatePodOptions options);
  // Dispatches the periodic and retry syncs that are due.
  void Tick();

  bool IsPodTerminationRequested(const std::string& uid) const;
  bool IsPodTerminated(const std::string& uid) const;
  bool CouldHaveRunningContainers(const std::string& uid) const;
  bool IsKnown(const std::string& uid) const;
  std::vector<std::string> KnownPods() const;
  // Forgets terminated pods that are not in `desired` any more.
  void ForgetTerminated(const std::set<std::string>& desired);
  // True when no pod has work pending or running (tests wait for this).
  bool Idle() const;

 private:
  enum class Phase { kSyncing, kTerminating, kTerminated };
  struct PodState {
    Phase phase = Phase::kSyncing;
    api::k8s::Pod pod;
    std::optional<container::RunningPod> running_pod;
    std::optional<UpdatePodOptions> pending;
    std::optional<int64_t> grace;
    bool working = false;
    std::optional<std::chrono::steady_clock::time_point> next_sync;
    // Re-added while terminating: start again from scratch once terminated.
    std::optional<api::k8s::Pod> restart;
  };

  void Work(const std::string& uid);
  void ScheduleLocked(const std::string& uid, PodState& st);
  // Whether the static pod `uid` may run now; claims its full name when it may.
  bool ClaimStaticNameLocked(const std::string& uid, const api::k8s::Pod& pod);
  void ReleaseStaticNameLocked(const std::string& uid, const api::k8s::Pod& pod);

  PodSyncer* syncer_;
  util::Executor* executor_;
  const Clock* clock_;
  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, PodState> pods_;
  std::map<std::string, std::string> static_names_;  // "ns/name" -> uid running under it
};

// From a file (or URL) source rather than the API server.
bool IsStaticPod(const api::k8s::Pod& pod);

}  // namespace capstan::kubelet::podworkers

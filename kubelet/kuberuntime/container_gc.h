#pragma once
// ContainerGC: removes dead containers, dead sandboxes and the log directories of pods that
// are gone (upstream's containerGC in kuberuntime_gc.go). One GarbageCollect:
//   1. containers: every non-running container created at least min_age ago is evictable,
//      grouped by (pod uid, container name) - init containers too. Once all sources are
//      ready, pods whose content may be removed lose all of them; other groups keep their
//      newest max_per_pod_container; then, when max_containers >= 0, groups are cut evenly
//      (at least one each) and, if still over, the oldest go node-wide. A container in
//      UNKNOWN state is stopped first. Its log files go with it (ContainerLogManager::Clean).
//   2. sandboxes (after the containers, so newly emptied ones go in the same pass): one not
//      ready and holding no containers is removed (stopped first) unless it is the newest of
//      a pod that still exists.
//   3. pod log directories (<podLogsDir>/<ns>_<name>_<uid>), once all sources are ready, of
//      pods whose content may be removed - unless the runtime still runs something of them.
// Running containers and ready sandboxes are never touched. Containers and sandboxes without
// the kubelet's pod uid label are not the kubelet's and are left alone. Failures of single
// removals are logged and the pass goes on. Not thread-safe against itself (one periodic
// task drives it).

#include <chrono>
#include <cstdint>
#include <string>

#include "api/cri/runtime_service.h"
#include "common/error.h"
#include "common/time.h"

namespace capstan::kubelet::logs {
class ContainerLogManager;
}

namespace capstan::kubelet::kuberuntime {

// What the GC needs to know about pods (the kubelet implements it).
class PodStateProvider {
 public:
  virtual ~PodStateProvider() = default;
  // Every pod source has delivered its pods: before that, any pod may look deleted.
  virtual bool AllSourcesReady() const = 0;
  // The pod is deleted (no source wants it) and terminated, or unknown: its containers,
  // sandboxes and logs may all go.
  virtual bool ShouldPodContentBeRemoved(const std::string& uid) const = 0;
};

// Upstream's defaults: --minimum-container-ttl-duration 0,
// --maximum-dead-containers-per-container 1, --maximum-dead-containers -1.
struct ContainerGCPolicy {
  std::chrono::milliseconds min_age{0};
  int max_per_pod_container = 1;  // < 0: no limit
  int max_containers = -1;        // < 0: no limit
};

class ContainerGC {
 public:
  // `logs` may be null (no log files to clean).
  ContainerGC(api::cri::RuntimeService* runtime, const Clock* clock, const PodStateProvider* pods,
              std::string pod_logs_dir, logs::ContainerLogManager* logs,
              ContainerGCPolicy policy = {});

  // One pass; an error only when the runtime could not be listed (or the log directory not
  // read).
  Status GarbageCollect();

 private:
  Status EvictContainers(bool all_sources_ready);
  Status EvictSandboxes();
  Status EvictPodLogDirectories();
  void RemoveContainer(const std::string& id, const std::string& name, bool unknown,
                       int64_t grace_seconds);

  api::cri::RuntimeService* runtime_;
  const Clock* clock_;
  const PodStateProvider* pods_;
  std::string pod_logs_dir_;
  logs::ContainerLogManager* logs_;
  ContainerGCPolicy policy_;
};

// The pod uid of a pod log directory name "<namespace>_<name>_<uid>" (the last part).
std::string PodUidFromLogDirectory(const std::string& name);

}  // namespace capstan::kubelet::kuberuntime

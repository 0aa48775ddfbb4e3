#pragma once
// computePodActions: given the pod spec and what the runtime runs, what to kill and start
// next. A pure function, so every restart-policy and init-container case is unit-tested.
//
// - A missing, not-ready, duplicated or wrongly-namespaced sandbox means a new sandbox (and
//   killing everything in the old one); a finished restartPolicy=Never pod gets none.
// - Init containers run one at a time, in order, each to success; a failed one is retried
//   (or the pod killed, for Never).
// - Then app containers start together and restart per policy; a running container whose
//   spec hash changed, or that failed its liveness or startup probe, is killed (and
//   restarted when the policy allows).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "kubelet/container/pod_status.h"

namespace capstan::kubelet::kuberuntime {

struct ContainerToKill {
  std::string id;
  std::string name;
  std::string reason;   // "", "Unknown", "LivenessProbe", "StartupProbe"
  std::string message;  // "Container app failed liveness probe, will be restarted"
};

struct PodActions {
  bool kill_pod = false;
  bool create_sandbox = false;
  std::string sandbox_id;                     // the current sandbox, when kept
  uint32_t attempt = 0;                       // of the sandbox to create
  std::optional<size_t> next_init_container;  // index in spec.init_containers
  std::vector<size_t> containers_to_start;    // indexes in spec.containers
  std::vector<ContainerToKill> containers_to_kill;
};

// Probe results that force a restart, by runtime container id.
struct ProbeVerdicts {
  std::function<bool(const std::string&)> liveness_failed = [](const std::string&) {
    return false;
  };
  std::function<bool(const std::string&)> startup_failed = [](const std::string&) { return false; };
};

struct SandboxChange {
  bool changed = false;
  uint32_t attempt = 0;
  std::string sandbox_id;
};
SandboxChange PodSandboxChanged(const api::k8s::Pod& pod, const container::PodStatus& status);

struct InitProgress {
  const container::ContainerStatus* last_failed = nullptr;
  std::optional<size_t> next;
  bool done = false;
};
InitProgress FindNextInitContainerToRun(const api::k8s::Pod& pod,
                                        const container::PodStatus& status);

// `expected_hash` gives each container's spec hash (HashContainer in production).
PodActions ComputePodActions(
    const api::k8s::Pod& pod, const container::PodStatus& status, const ProbeVerdicts& probes,
    const std::function<std::string(const api::k8s::Container&)>& expected_hash);

}  // namespace capstan::kubelet::kuberuntime

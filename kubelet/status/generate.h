#pragma once
// The API status of a pod from what the runtime runs, as the upstream kubelet computes it
// (generateAPIPodStatus, convertToAPIContainerStatuses, getPhase and the condition
// generators): container states with waiting reasons from the reason cache, lastState from
// the previous run, restart counts, the pod phase, and the kubelet-owned conditions
// PodScheduled, Initialized, ContainersReady and Ready.

#include <functional>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "kubelet/container/pod_status.h"
#include "kubelet/status/reason_cache.h"

namespace capstan::kubelet::status {

// Waiting reasons of containers that have not been started yet.
inline constexpr char kContainerCreating[] = "ContainerCreating";
inline constexpr char kPodInitializing[] = "PodInitializing";

struct GenerateInputs {
  const api::k8s::Pod* pod = nullptr;
  const container::PodStatus* runtime = nullptr;
  // The status last reported (the status manager's), or null.
  const api::k8s::PodStatus* previous = nullptr;
  const ReasonCache* reasons = nullptr;
  // Sets started/ready from probe results (the prober manager's UpdatePodStatus); when
  // unset, running containers are started and ready.
  std::function<void(const api::k8s::Pod&, api::k8s::PodStatus&)> apply_probes;
  std::string host_ip;
};

api::k8s::PodStatus GeneratePodStatus(const GenerateInputs& in);

// The phase from container statuses (init and app together), as getPhase.
std::string PodPhase(const api::k8s::Pod& pod, const std::vector<api::k8s::ContainerStatus>& all);

api::k8s::PodCondition InitializedCondition(const api::k8s::Pod& pod,
                                            const std::vector<api::k8s::ContainerStatus>& init,
                                            const std::string& phase);
api::k8s::PodCondition ContainersReadyCondition(
    const api::k8s::Pod& pod, const std::vector<api::k8s::ContainerStatus>& statuses,
    const std::string& phase);
api::k8s::PodCondition ReadyCondition(const api::k8s::Pod& pod,
                                      const std::vector<api::k8s::ContainerStatus>& statuses,
                                      const std::string& phase);

}  // namespace capstan::kubelet::status

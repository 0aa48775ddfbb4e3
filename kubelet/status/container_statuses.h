#pragma once
// convertToAPIContainerStatuses: the API statuses of one list of containers (init or app).

#include <vector>

#include "api/k8s/pod.h"
#include "kubelet/container/pod_status.h"
#include "kubelet/status/reason_cache.h"

namespace capstan::kubelet::status {

std::vector<api::k8s::ContainerStatus> ConvertContainerStatuses(
    const api::k8s::Pod& pod, const container::PodStatus& runtime,
    const std::vector<api::k8s::ContainerStatus>& previous,
    const std::vector<api::k8s::Container>& containers, bool has_init_containers, bool is_init,
    const ReasonCache* reasons);

}  // namespace capstan::kubelet::status

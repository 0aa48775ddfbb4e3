#pragma once
// Rules shared by the runtime manager and status generation (kubecontainer helpers).

#include "api/k8s/pod.h"
#include "common/error.h"
#include "kubelet/container/pod_status.h"

namespace capstan::kubelet::container {

// Whether the pod's restart policy restarts failed containers (Always, OnFailure).
bool ShouldRestartOnFailure(const api::k8s::Pod& pod);

// Whether `c` should be (re)started at the next sync: never for a pod being deleted; yes when
// it never ran, is created or unknown; for exited containers as the restart policy says.
bool ShouldContainerBeRestarted(const api::k8s::Container& c, const api::k8s::Pod& pod,
                                const PodStatus& status);

// Exited with a non-zero code, or unknown.
bool IsInitContainerFailed(const ContainerStatus& s);

}  // namespace capstan::kubelet::container

namespace capstan::kubelet::container {

// A probe's or hook's port: a number, or the name of one of the container's ports.
Result<int> ResolvePort(const api::k8s::IntOrString& port, const api::k8s::Container& c);

}  // namespace capstan::kubelet::container

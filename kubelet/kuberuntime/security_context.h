#pragma once
// Pod and container security contexts as CRI Linux security contexts: the container's
// settings override the pod's (determineEffectiveSecurityContext), no_new_privs follows an
// explicit allowPrivilegeEscalation: false, the default masked and read-only /proc paths
// are sent unless procMount is Unmasked, and seccomp follows the container, then the pod,
// then seccompDefault.

#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/kuberuntime/node_context.h"

namespace capstan::kubelet::kuberuntime {

const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// The container's effective settings: its own, filling unset fields from the pod's.
api::k8s::SecurityContext EffectiveSecurityContext(const api::k8s::Pod& pod,
                                                   const api::k8s::Container& c);

Result<api::cri::v1::SecurityProfile> SeccompProfileFor(const api::k8s::Pod& pod,
                                                        const api::k8s::Container* c,
                                                        const NodeContext& node);

Result<api::cri::v1::LinuxContainerSecurityContext> ContainerSecurityContext(
    const api::k8s::Pod& pod, const api::k8s::Container& c, const NodeContext& node);

Result<api::cri::v1::LinuxSandboxSecurityContext> SandboxSecurityContext(const api::k8s::Pod& pod,
                                                                         const NodeContext& node);

// Namespace modes: network and IPC are per pod unless on the host; PID is per container
// unless shareProcessNamespace (pod) or hostPID (node).
api::cri::v1::NamespaceOption NamespaceOptions(const api::k8s::Pod& pod);

}  // namespace capstan::kubelet::kuberuntime

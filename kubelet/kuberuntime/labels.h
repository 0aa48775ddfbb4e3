#pragma once
// The labels and annotations the kubelet puts on CRI sandboxes and containers, with the
// same keys as upstream so tools (crictl, other kubelets after an upgrade) read them, and
// what the kubelet reads back from them after a restart.

#include <cstdint>
#include <string>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"

namespace capstan::kubelet::kuberuntime {

inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
inline constexpr char kContainerTypeLabel[] = "io.kubernetes.container.type";  // unused
inline constexpr char kContainerHashAnnotation[] = "io.kubernetes.container.hash";
inline constexpr char kRestartCountAnnotation[] = "io.kubernetes.container.restartCount";
inline constexpr char kTerminationMessagePathAnnotation[] =
    "io.kubernetes.container.terminationMessagePath";
inline constexpr char kTerminationMessagePolicyAnnotation[] =
    "io.kubernetes.container.terminationMessagePolicy";
inline constexpr char kPreStopHandlerAnnotation[] = "io.kubernetes.container.preStopHandler";
inline constexpr char kContainerPortsAnnotation[] = "io.kubernetes.container.ports";
inline constexpr char kPodDeletionGracePeriodAnnotation[] = "io.kubernetes.pod.deletionGracePeriod";
inline constexpr char kPodTerminationGracePeriodAnnotation[] =
    "io.kubernetes.pod.terminationGracePeriod";
// Marks a container as an init container, so status and restarts are computed right even
// when the pod spec is no longer known (upstream infers it from the spec).
inline constexpr char kInitContainerAnnotation[] = "io.capstan.container.init";

using LabelMap = google::protobuf::Map<std::string, std::string>;

// Sandbox: the pod's labels plus name/namespace/uid; the pod's annotations.
LabelMap SandboxLabels(const api::k8s::Pod& pod);
LabelMap SandboxAnnotations(const api::k8s::Pod& pod);
// Container: name/namespace/uid and the container name (not the pod's labels).
LabelMap ContainerLabels(const api::k8s::Pod& pod, const api::k8s::Container& c);
LabelMap ContainerAnnotations(const api::k8s::Pod& pod, const api::k8s::Container& c,
                              int32_t restart_count, bool init);

// A stable hash of the container spec (hex FNV-1a of its JSON): a changed spec restarts the
// container.
std::string HashContainer(const api::k8s::Container& c);

// Reading back.
std::string LabelOr(const LabelMap& m, const char* key, std::string fallback = "");
int32_t RestartCountOf(const LabelMap& annotations);
// The grace period recorded when the container was created (when the spec is gone).
std::optional<int64_t> TerminationGracePeriodOf(const LabelMap& annotations);

}  // namespace capstan::kubelet::kuberuntime

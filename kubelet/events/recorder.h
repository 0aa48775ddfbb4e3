#pragma once
// Events the kubelet records about pods and its node, with upstream's reasons and messages
// (Pulling, Pulled, Created, Started, Killing, BackOff, Failed, ...), so that `kubectl
// describe pod` reads as it does against an upstream kubelet. The kubelet calls the
// recorder; ApiEventRecorder (api_recorder.h) writes them to the API server.

#include <string>

#include "api/k8s/pod.h"

namespace capstan::kubelet::events {

inline constexpr char kNormal[] = "Normal";
inline constexpr char kWarning[] = "Warning";

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // `field_path` names the part of the pod ("spec.containers{app}"), or "" for the pod.
  virtual void PodEvent(const api::k8s::Pod& pod, const std::string& field_path,
                        const std::string& type, const std::string& reason,
                        const std::string& message) = 0;
  virtual void NodeEvent(const std::string& type, const std::string& reason,
                         const std::string& message) = 0;
};

// "spec.containers{app}", "spec.initContainers{init}" or "spec.ephemeralContainers{x}".
std::string ContainerFieldPath(const api::k8s::Pod& pod, const std::string& container);

}  // namespace capstan::kubelet::events

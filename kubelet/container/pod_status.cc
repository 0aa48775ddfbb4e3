#include "kubelet/container/pod_status.h"

namespace capstan::kubelet::container {

std::string_view ContainerStateName(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated: return "created";
    case ContainerState::kRunning: return "running";
    case ContainerState::kExited: return "exited";
    case ContainerState::kUnknown: return "unknown";
  }
  return "unknown";
}

const ContainerStatus* PodStatus::FindContainer(const std::string& name) const {
  for (const auto& c : containers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace capstan::kubelet::container

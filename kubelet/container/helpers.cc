#include "kubelet/container/helpers.h"

namespace capstan::kubelet::container {

bool ShouldRestartOnFailure(const api::k8s::Pod& pod) { return pod.spec.restart_policy != "Never"; }

bool ShouldContainerBeRestarted(const api::k8s::Container& c, const api::k8s::Pod& pod,
                                const PodStatus& status) {
  if (pod.metadata.deletion_timestamp) {
    return false;
  }
  const ContainerStatus* s = status.FindContainer(c.name);
  if (!s) {
    return true;
  }
  switch (s->state) {
    case ContainerState::kRunning: return false;
    case ContainerState::kUnknown:
    case ContainerState::kCreated: return true;
    case ContainerState::kExited: break;
  }
  if (pod.spec.restart_policy == "Never") {
    return false;
  }
  if (pod.spec.restart_policy == "OnFailure") {
    return s->exit_code != 0;
  }
  return true;
}

bool IsInitContainerFailed(const ContainerStatus& s) {
  return (s.state == ContainerState::kExited && s.exit_code != 0) ||
         s.state == ContainerState::kUnknown;
}

}  // namespace capstan::kubelet::container

namespace capstan::kubelet::container {

Result<int> ResolvePort(const api::k8s::IntOrString& port, const api::k8s::Container& c) {
  if (!port.is_string) {
    if (port.int_value <= 0 || port.int_value > 65535) {
      return Fail(Code::kInvalidArgument, "port {} is out of range", port.int_value);
    }
    return static_cast<int>(port.int_value);
  }
  for (const auto& p : c.ports) {
    if (p.name == port.str_value) {
      return p.container_port;
    }
  }
  // A numeric string is a number too (upstream accepts "8080").
  if (!port.str_value.empty() &&
      port.str_value.find_first_not_of("0123456789") == std::string::npos &&
      port.str_value.size() < 6) {
    int n = std::stoi(port.str_value);
    if (n > 0 && n <= 65535) {
      return n;
    }
  }
  return Fail(Code::kInvalidArgument, "container {} has no port named {:?}", c.name,
              port.str_value);
}

}  // namespace capstan::kubelet::container

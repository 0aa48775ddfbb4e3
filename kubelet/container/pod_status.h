#pragma once
// The runtime's view of a pod, independent of the CRI's wire types (kubecontainer.PodStatus
// upstream): its sandboxes and containers, newest first, as GetPodStatus reads them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace capstan::kubelet::container {

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };
std::string_view ContainerStateName(ContainerState s);

struct ContainerStatus {
  std::string id;    // the runtime's id
  std::string type;  // runtime name for "<type>://<id>" (e.g. "capstan", "containerd")
  std::string name;
  ContainerState state = ContainerState::kUnknown;
  WallTime created_at{};
  WallTime started_at{};
  WallTime finished_at{};
  int32_t exit_code = 0;
  std::string image;
  std::string image_ref;
  std::string reason;
  std::string message;
  int32_t restart_count = 0;  // from our annotation
  std::string hash;           // spec hash from our annotation
  std::string sandbox_id;

  std::string FullId() const { return type + "://" + id; }
};

struct SandboxStatus {
  std::string id;
  bool ready = false;
  WallTime created_at{};
  uint32_t attempt = 0;
  // Whether the runtime reported a network status at all (some report none).
  bool has_network_status = false;
  std::string ip;
  std::vector<std::string> additional_ips;
  bool host_network = false;
};

struct PodStatus {
  std::string uid;
  std::string name;
  std::string namespace_;
  std::vector<SandboxStatus> sandboxes;     // newest first
  std::vector<ContainerStatus> containers;  // newest first
  std::vector<std::string> ips;             // of the newest ready sandbox

  // The newest status of the container named `name`, if any.
  const ContainerStatus* FindContainer(const std::string& name) const;
};

// A pod as found in the runtime, whether or not the kubelet knows it (for cleanup).
struct RunningPod {
  std::string uid;
  std::string name;
  std::string namespace_;
  struct Sandbox {
    std::string id;
    bool ready = false;
  };
  std::vector<Sandbox> sandboxes;
  std::string ip;  // for preStop httpGet hooks, when known
  struct Container {
    std::string id;
    std::string name;
    ContainerState state;
    std::string image;  // as the pod names it, else the runtime's ref (for /runningpods)
  };
  std::vector<Container> containers;
};

}  // namespace capstan::kubelet::container

#pragma once
// The Node object a kubelet registers and keeps current, computed as upstream's kubelet does
// (pkg/kubelet/nodestatus): labels, taints, capacity and allocatable, addresses, nodeInfo,
// daemonEndpoints and the Ready / MemoryPressure / DiskPressure / PIDPressure conditions with
// upstream's reasons and messages. Pure functions of what the node is and how it is doing,
// so tests give them facts instead of a machine.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace capstan::kubelet::nodestatus {

using Json = nlohmann::json;

// What the node is: fixed for the kubelet's life (capacity changes need a restart upstream).
struct NodeFacts {
  std::string name;
  std::string node_ip;                        // InternalIP
  std::string hostname;                       // Hostname address
  std::map<std::string, std::string> labels;  // --node-labels
  Json taints = Json::array();                // --register-with-taints
  std::string pod_cidr;
  std::string provider_id;

  int64_t cpu_cores = 0;
  int64_t memory_bytes = 0;
  int64_t ephemeral_storage_bytes = 0;
  int32_t max_pods = 110;
  std::map<std::string, int64_t> hugepages_bytes;  // "2Mi" -> bytes configured
  // Reserved for the system and the kubelet, and the hard eviction threshold of memory:
  // subtracted from capacity to give allocatable (quantities as in the config).
  std::map<std::string, std::string> reserved;  // cpu, memory, ephemeral-storage, pid
  int64_t eviction_memory_bytes = 100 * 1024 * 1024;
  double eviction_nodefs_fraction = 0.10;

  std::string kernel_version;
  std::string os_image;
  std::string architecture = "amd64";
  std::string container_runtime_version;  // "capstan://0.1.0", "containerd://1.6.20"
  std::string kubelet_version;            // "v1.31.0"
  std::string machine_id;
  std::string boot_id;
  std::string system_uuid;
  int32_t kubelet_port = 10250;
};

// How the node is doing now.
struct NodeHealth {
  bool runtime_ready = true;
  std::string runtime_message;  // why not, when not
  bool network_ready = true;
  std::string network_message;
  bool memory_pressure = false;
  bool disk_pressure = false;
  bool pid_pressure = false;
};

// The Node to register: metadata (labels incl. kubernetes.io/hostname, os and arch), spec
// (taints, podCIDR, providerID) and status.
Json NodeForRegistration(const NodeFacts& facts, const NodeHealth& health, WallTime now);

// The status to report. A condition keeps its lastTransitionTime from `previous` (the
// Node's current status) while its status does not change; lastHeartbeatTime is now.
// The node events upstream's condition setters record when a condition appears or changes
// status: NodeReady / NodeNotReady, NodeHasSufficientMemory / NodeHasInsufficientMemory,
// NodeHasNoDiskPressure / NodeHasDiskPressure, NodeHasSufficientPID / NodeHasInsufficientPID
// (each "Normal", message "Node <name> status is now: <reason>").
std::vector<std::string> ConditionEventReasons(const Json& previous_status, const Json& status);

Json NodeStatus(const NodeFacts& facts, const NodeHealth& health, const Json& previous,
                WallTime now);

// `status` without the heartbeat times, for deciding whether anything changed.
Json WithoutHeartbeats(Json status);

}  // namespace capstan::kubelet::nodestatus

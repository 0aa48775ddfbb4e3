#pragma once
// The runtime's records of sandboxes and containers: what is persisted in meta.json and what
// the CRI's status calls report. Each record has a mutex: `mu` guards the fields; lifecycle
// operations on one object are serialized by `op_mu` (held across long steps such as a stop
// timeout, never while taking another record's op_mu).

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/cri/runtime/v1/api.pb.h"
#include "common/error.h"

namespace capstan::cri::runtime {

namespace v1 = ::runtime::v1;

struct SandboxRecord {
  std::mutex mu;
  std::mutex op_mu;

  std::string id;
  v1::PodSandboxConfig config;
  std::string runtime_handler;
  v1::PodSandboxState state = v1::SANDBOX_NOTREADY;
  int64_t created_at = 0;
  std::string netns;  // pinned namespace files; empty = host namespace
  std::string ipcns;
  std::string utsns;
  std::string shm;  // the pod's /dev/shm tmpfs; empty with host IPC
  std::string ip;
  std::vector<std::string> additional_ips;
  bool network_ready = false;  // CNI ADD done and not yet torn down
  // PID 1 of the pod's shared PID namespace (NamespaceMode POD), 0 otherwise; with its
  // start time, so a reused pid is never taken for it.
  pid_t pid_init = 0;
  uint64_t pid_init_start = 0;
};

struct ContainerRecord {
  std::mutex mu;
  std::mutex op_mu;

  std::string id;
  std::string sandbox_id;
  v1::ContainerConfig config;
  std::string image_id;   // "sha256:..."
  std::string image_ref;  // as the creator named it
  v1::ContainerState state = v1::CONTAINER_UNKNOWN;
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  int32_t exit_code = 0;
  std::string reason;
  std::string message;
  pid_t pid = 0;  // the container's init, as the host sees it
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;  // /proc/<pid>/stat starttime, guards against pid reuse
  std::string log_path;             // absolute
  std::string cgroup_path;
  std::string stop_signal;  // from the image config
};

// Serialization to meta.json (protobuf JSON for the embedded CRI configs).
std::string SandboxToJson(const SandboxRecord& r);
Result<std::shared_ptr<SandboxRecord>> SandboxFromJson(std::string_view text);
std::string ContainerToJson(const ContainerRecord& r);
Result<std::shared_ptr<ContainerRecord>> ContainerFromJson(std::string_view text);

}  // namespace capstan::cri::runtime

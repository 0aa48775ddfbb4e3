#pragma once
// ContainerSpec: everything the container's init needs to build the container, written by
// capstan-cri at create time (bundle/spec.json) and read by capstan-monitor's child just
// before it sets the container up. It is already resolved: users are numeric, paths are
// absolute host paths, defaults applied. The init makes no policy decisions.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cri::oci {

struct MountSpec {
  std::string source;       // host path, or a filesystem name for proc/tmpfs/...
  std::string destination;  // absolute path inside the container
  std::string type;         // "bind", "proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup2"
  std::vector<std::string> options;  // "ro", "rbind", "nosuid", "rslave", "mode=755", ...
};

struct DeviceSpec {
  std::string host_path;
  std::string container_path;
  std::string permissions;  // "rwm" subset
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t soft = 0;
  uint64_t hard = 0;
};

enum class SeccompKind { kUnconfined, kRuntimeDefault, kLocalhost };

struct SecuritySpec {
  bool privileged = false;
  bool no_new_privs = true;
  std::vector<std::string> capabilities;          // bounding = permitted = effective
  std::vector<std::string> ambient_capabilities;  // subset raised into ambient
  SeccompKind seccomp = SeccompKind::kRuntimeDefault;
  std::string seccomp_profile;  // kLocalhost: the OCI seccomp JSON, read at create time
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  bool readonly_rootfs = false;
};

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  bool terminal = false;
  std::vector<Rlimit> rlimits;
  std::optional<int> oom_score_adj;
};

struct NamespaceSpec {
  // Host paths of pinned namespaces to join ("/run/capstan/sandboxes/<id>/ns/net");
  // empty means: stay in the host's namespace of that kind.
  std::string net, ipc, uts;
  // PID namespace: a new one (kContainer), the host's (kNode), or the one holding `pid_path`
  // (kTarget: a pod-shared or target-container namespace).
  enum class Pid { kContainer, kNode, kTarget } pid = Pid::kContainer;
  std::string pid_path;
};

struct ContainerSpec {
  std::string id;
  std::string rootfs;  // host path where the rootfs is mounted
  std::string hostname;
  ProcessSpec process;
  NamespaceSpec namespaces;
  SecuritySpec security;
  std::vector<MountSpec> mounts;  // applied in order, after the standard ones
  std::vector<DeviceSpec> devices;
  std::string rootfs_propagation = "rprivate";  // rprivate | rslave | rshared
  std::vector<std::string> cgroup_dirs;         // every cgroup directory the init joins
};

std::string SpecToJson(const ContainerSpec& spec);
Result<ContainerSpec> SpecFromJson(std::string_view json);
Result<ContainerSpec> LoadSpec(const std::string& path);

}  // namespace capstan::cri::oci

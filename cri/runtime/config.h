#pragma once
// capstan-cri's configuration: flags override a YAML file, which overrides the defaults.
//
//   root: /var/lib/capstan          # images, container metadata (persistent)
//   state: /run/capstan             # pinned namespaces, monitor files (gone at reboot)
//   listen: unix:///run/capstan/cri.sock
//   cgroup_driver: cgroupfs         # cgroupfs | systemd
//   cni: {conf_dir: /etc/cni/net.d, bin_dirs: [/opt/cni/bin], cache_dir: /var/lib/cni}
//   registry:
//     insecure: ["127.0.0.1:5000"]
//     mirrors: {docker.io: ["http://127.0.0.1:5000"]}
//   streaming:                      # Exec/Attach/PortForward URLs (loopback: the kubelet proxies)
//     address: 127.0.0.1
//     port: 0                       # 0: any free port
//     idle_timeout_seconds: 14400
//   runtime:
//     default_rlimits: {RLIMIT_NOFILE: [1048576, 1048576]}
//     shm_size: 67108864
//     pids_limit: 0
//     max_exec_output: 16777216

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace capstan::cri::runtime {

struct RuntimeConfig {
  std::string root = "/var/lib/capstan";
  std::string state = "/run/capstan";
  std::string listen = "unix:///run/capstan/cri.sock";
  std::string cgroup_driver = "cgroupfs";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::vector<std::string> cni_bin_dirs = {"/opt/cni/bin"};
  std::string cni_cache_dir = "/var/lib/cni";  // libcni's: ADD results under <dir>/results
  std::vector<std::string> insecure_registries;
  std::map<std::string, std::vector<std::string>> registry_mirrors;
  std::map<std::string, std::pair<uint64_t, uint64_t>> default_rlimits = {
      {"RLIMIT_NOFILE", {1048576, 1048576}}};
  uint64_t shm_size = 64 << 20;
  int64_t pids_limit = 0;  // per-container pids.max (CRI-O's pids_limit); 0 = unlimited
  uint64_t max_exec_output = 16 << 20;
  std::string monitor_path;  // capstan-monitor; default: beside the capstan-cri binary
  std::string stream_address = "127.0.0.1";
  int stream_port = 0;
  int64_t stream_idle_timeout_seconds = 4 * 3600;
};

// Parses the YAML text over the defaults; unknown keys and wrong types are InvalidArgument
// naming the key.
Result<RuntimeConfig> ParseRuntimeConfig(std::string_view yaml_text);
Result<RuntimeConfig> LoadRuntimeConfig(const std::string& path);

}  // namespace capstan::cri::runtime

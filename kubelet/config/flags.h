#pragma once
// capstan-kubelet's command-line flags (named as the upstream kubelet's). Flags given on the
// command line override the config file, as upstream.

#include <map>
#include <optional>
#include <string>

#include "kubelet/config/kubelet_config.h"

namespace capstan::kubelet::config {

struct KubeletFlags {
  std::string config;                                     // --config
  std::optional<std::string> container_runtime_endpoint;  // --container-runtime-endpoint
  std::string root_dir = "/var/lib/kubelet";              // --root-dir
  std::string hostname_override;                          // --hostname-override
  std::string node_ip;                                    // --node-ip
  std::optional<std::string> pod_manifest_path;           // --pod-manifest-path
  std::string log_level = "info";                         // --log-level (debug|info|warn|error)
  std::string kubeconfig;  // --kubeconfig: the API server to register with (empty: standalone)
  std::map<std::string, std::string> node_labels;  // --node-labels k=v,k2=v2
  std::string bootstrap_kubeconfig;  // --bootstrap-kubeconfig: a join token's kubeconfig
};

// The configuration the kubelet runs with: the file's (or defaults) with flags applied.
Result<KubeletConfiguration> ResolveConfiguration(const KubeletFlags& flags);

// The node's name: --hostname-override, else the host name, lower-cased (as upstream).
std::string NodeName(const KubeletFlags& flags);

}  // namespace capstan::kubelet::config

#pragma once
// What turning a Pod into CRI configs needs to know about the node and the kubelet's
// settings. Filled by the Kubelet from its configuration and the machine.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"
#include "kubelet/cm/cgroup_manager.h"

namespace capstan::kubelet::kuberuntime {

struct NodeContext {
  std::string node_name;
  std::string node_ip;
  std::string root_dir = "/var/lib/kubelet";
  std::string pod_logs_dir = "/var/log/pods";
  // DNS (KubeletConfiguration clusterDNS/clusterDomain/resolvConf).
  std::vector<std::string> cluster_dns;
  std::string cluster_domain;
  std::string resolv_conf = "/etc/resolv.conf";
  cm::CgroupNames cgroup_names{"/", cm::CgroupDriver::kCgroupfs};
  int64_t memory_capacity_bytes = 0;
  api::k8s::ResourceList node_allocatable;
  bool seccomp_default = false;  // RuntimeDefault when the pod names no profile
  std::string seccomp_profile_root = "/var/lib/kubelet/seccomp";
  // The data of a ConfigMap or Secret (kind "ConfigMap" or "Secret"; Secret values decoded)
  // for env valueFrom references; null for a kubelet without an API server.
  std::function<Result<std::map<std::string, std::string>>(
      const std::string& kind, const std::string& ns, const std::string& name)>
      object_data;
};

}  // namespace capstan::kubelet::kuberuntime

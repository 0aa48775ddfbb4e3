#pragma once
// The pod's resolver configuration by dnsPolicy (ClusterFirst, ClusterFirstWithHostNet,
// Default, None) merged with spec.dnsConfig, as the kubelet's dns configurer computes it.

#include <string>
#include <string_view>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/kuberuntime/node_context.h"

namespace capstan::kubelet::kuberuntime {

struct ResolvConf {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};
ResolvConf ParseResolvConf(std::string_view text);

// `host` is the node's resolv.conf (dnsPolicy Default, and the fallback for ClusterFirst
// when no cluster DNS is configured).
Result<api::cri::v1::DNSConfig> PodDnsConfig(const api::k8s::Pod& pod, const NodeContext& node,
                                             const ResolvConf& host);

}  // namespace capstan::kubelet::kuberuntime

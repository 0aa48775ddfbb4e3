#pragma once
// What this machine and its runtime are, for the Node object: read from /proc, /etc and the
// CRI. Kept apart from node_status.cc, which tests drive with made-up facts.

#include <string>

#include "api/cri/runtime_service.h"
#include "kubelet/config/kubelet_config.h"
#include "kubelet/nodestatus/node_status.h"

namespace capstan::kubelet::nodestatus {

// The kubelet version reported in nodeInfo and /version-like places.
inline constexpr const char* kKubeletVersion = "v1.31.0";

NodeFacts GatherNodeFacts(const std::string& node_name, const std::string& node_ip,
                          const std::string& root_dir, const config::KubeletConfiguration& config,
                          api::cri::RuntimeService* runtime);

// Ready and its network from the CRI's Status (RuntimeReady, NetworkReady conditions).
NodeHealth HealthFromRuntime(api::cri::RuntimeService* runtime);

}  // namespace capstan::kubelet::nodestatus

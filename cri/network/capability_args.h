#pragma once
// What the runtime tells CNI about a pod beyond the config file: CNI_ARGS (the K8S_* keys
// containerd and CRI-O pass) and the capability arguments of CNI's CONVENTIONS, derived from
// the sandbox config: portMappings (hostPorts), dns, bandwidth (the kubernetes.io/ingress-
// and egress-bandwidth annotations) and ipRanges (the node's pod CIDRs, when known).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/cri/runtime/v1/api.pb.h"

namespace capstan::cri::network {

using CniArgList = std::vector<std::pair<std::string, std::string>>;

CniArgList PodCniArgs(const std::string& sandbox_id, const ::runtime::v1::PodSandboxConfig* c);
std::string JoinCniArgs(const CniArgList& args);

// Keys present only when there is something to pass (a capability a plugin asks for but the
// runtime has no value for is left out, as libcni does).
nlohmann::json PodCapabilityArgs(const ::runtime::v1::PodSandboxConfig* c,
                                 const std::vector<std::string>& pod_cidrs);

// A Kubernetes quantity ("10M", "1Gi", "500k") in units; nullopt when malformed.
std::optional<uint64_t> ParseQuantity(std::string_view q);

}  // namespace capstan::cri::network

#pragma once
// NetworkPlugin: how the runtime gives a pod sandbox its network. The CNI exec client
// implements it (cni_plugin.h); LoopbackOnlyPlugin gives pods only their loopback (for
// runtimes run without CNI, and tests).

#include <memory>
#include <string>
#include <vector>

#include "api/cri/runtime/v1/api.pb.h"
#include "common/error.h"

namespace capstan::cri::network {

struct PodNetworkRequest {
  std::string sandbox_id;
  std::string netns_path;
  const ::runtime::v1::PodSandboxConfig* config = nullptr;  // name, ports, dns, ...
};

struct PodNetworkStatus {
  std::string ip;
  std::vector<std::string> additional_ips;
};

class NetworkPlugin {
 public:
  virtual ~NetworkPlugin() = default;
  // Attaches the pod's network namespace; returns its addresses.
  virtual Result<PodNetworkStatus> SetUpPod(const PodNetworkRequest& req) = 0;
  // Detaches it; idempotent, and succeeds when the namespace is already gone.
  virtual Status TearDownPod(const PodNetworkRequest& req) = 0;
  // Ok when pods can get a network (reported as the NetworkReady condition).
  virtual Status Ready() const = 0;
  // The node's pod CIDRs (UpdateRuntimeConfig), offered to IPAM as ipRanges. Optional.
  virtual void SetPodCidrs(std::vector<std::string> cidrs) {}
  // Releases what pods that no longer exist still hold (after a crash, say): everything not
  // belonging to `live_sandbox_ids`. Not concurrent with set-ups and tear-downs. Optional.
  virtual Status GarbageCollect(const std::vector<std::string>& live_sandbox_ids) { return Ok(); }
};

std::unique_ptr<NetworkPlugin> NewLoopbackOnlyPlugin();

}  // namespace capstan::cri::network

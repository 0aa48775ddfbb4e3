#pragma once
// PodGcController: removes pods nothing else will, as upstream's pod garbage collector:
//   - pods bound to a node that no longer exists (orphans), once the node has been gone
//     for a quarantine (40 s) and a direct read confirms it, so a node that was deleted
//     and comes straight back does not lose its pods;
//   - pods being deleted that were never scheduled (no kubelet will confirm them);
//   - pods being deleted on a node tainted node.kubernetes.io/out-of-service;
//   - terminated pods (Succeeded, Failed) beyond a threshold, oldest first
//     (--terminated-pod-gc-threshold, 12500 upstream).
// Each is force-deleted (grace period 0). One pass every 20 s (upstream's gcCheckPeriod).

#include <chrono>
#include <map>
#include <string>

#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class PodGcController : public Controller {
 public:
  struct Options {
    int terminated_pod_threshold = 12500;
    std::chrono::seconds period{20};
    std::chrono::seconds orphan_quarantine{40};
  };
  PodGcController(api::k8s::client::ApiClient* api, const Clock* clock,
                  api::k8s::client::Reflector* pods, api::k8s::client::Reflector* nodes,
                  Options options);
  // One pass over every pod; the key is always kPassKey. The pass re-queues itself.
  Status Sync(const std::string& key) override;
  static constexpr const char* kPassKey = "pod-gc";

 private:
  void ForceDelete(const Json& pod, const char* why);
  bool NodeGone(const std::string& node);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& pods_;
  api::k8s::client::Reflector& nodes_;
  Options options_;
  // Nodes that pods name but the informer lacks -> when that was first seen.
  std::map<std::string, std::chrono::steady_clock::time_point> missing_nodes_;
};

}  // namespace capstan::control_plane::controllers

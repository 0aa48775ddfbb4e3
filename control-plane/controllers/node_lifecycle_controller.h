#pragma once
// NodeLifecycleController: notices a kubelet that went quiet, as upstream's node lifecycle
// controller does. A kubelet proves it lives by renewing its Lease in kube-node-lease (and
// by the heartbeat of its Ready condition); when neither moved for the grace period (40 s,
// --node-monitor-grace-period), the node's Ready, MemoryPressure, DiskPressure and
// PIDPressure conditions become Unknown ("Kubelet stopped posting node status."), a
// NodeNotReady event is recorded, and its pods are marked not Ready so Services stop
// sending them traffic. NodeTaintController then adds the unreachable taints, and the taint
// eviction controller evicts the pods that do not tolerate them.
//
// Liveness is judged by when this controller *saw* the lease change, not by the times
// written in it, so a node with a skewed clock is neither killed nor kept alive by it.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

class NodeLifecycleController : public Controller {
 public:
  struct Options {
    std::chrono::seconds grace_period{40};   // --node-monitor-grace-period
    std::chrono::seconds monitor_period{5};  // --node-monitor-period
  };
  NodeLifecycleController(api::k8s::client::ApiClient* api, const Clock* clock,
                          api::k8s::client::Reflector* nodes, api::k8s::client::Reflector* leases,
                          api::k8s::client::Reflector* pods, Options options);
  // key: the Node's name. Each sync of a node comes back after the monitor period.
  Status Sync(const std::string& key) override;

 private:
  // What the node last showed of being alive, and when (monotonic) that changed.
  struct Heartbeat {
    std::string probe;
    std::chrono::steady_clock::time_point observed;
  };
  Status MarkUnknown(const Json& node);
  void MarkPodsNotReady(const std::string& node_name);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::Reflector& nodes_;
  api::k8s::client::Reflector& leases_;
  api::k8s::client::Reflector& pods_;
  Options options_;
  api::k8s::client::EventRecorder events_;
  std::mutex mu_;
  std::map<std::string, Heartbeat> heartbeats_;
};

}  // namespace capstan::control_plane::controllers

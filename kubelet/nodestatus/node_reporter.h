#pragma once
// NodeReporter: the kubelet's side of node lifecycle against the API server, as upstream's
// kubelet_node_status.go and nodelease do:
// - registers the Node (creating it; when it exists, adopting it and bringing its labels
//   and capacity up to date), retrying until the API server answers;
// - every nodeStatusUpdateFrequency (10 s) computes the status and patches nodes/status when
//   it changed, or at least every nodeStatusReportFrequency (5 min);
// - renews the Lease kube-node-lease/<node> every 10 s (a quarter of its 40 s duration),
//   owned by the Node so that deleting the Node removes it.
// Tick() does what is due; the kubelet calls it from a thread of its own.

#include <chrono>
#include <functional>
#include <optional>

#include "api/k8s/client/api_client.h"
#include "common/time.h"
#include "kubelet/nodestatus/node_status.h"

namespace capstan::kubelet::nodestatus {

struct NodeReporterOptions {
  std::chrono::milliseconds status_update_frequency{std::chrono::seconds(10)};
  std::chrono::milliseconds status_report_frequency{std::chrono::minutes(5)};
  int32_t lease_duration_seconds = 40;
  // Records a node event (reason, message), e.g. NodeReady (null: none).
  std::function<void(const std::string& reason, const std::string& message)> record_event;
};

class NodeReporter {
 public:
  NodeReporter(api::k8s::client::ApiClient* api, const Clock* clock, NodeFacts facts,
               std::function<NodeHealth()> health, NodeReporterOptions options = {});

  // Registers the node if it is not yet, then does what is due.
  void Tick();
  bool registered() const { return registered_; }
  // The Node as last written (null before registration).
  const Json& node() const { return node_; }

 private:
  Status Register();
  Status UpdateStatus(bool force);
  Status RenewLease();
  void RecordConditionEvents(const Json& previous_status, const Json& status);

  api::k8s::client::ApiClient* api_;
  const Clock* clock_;
  NodeFacts facts_;
  std::function<NodeHealth()> health_;
  NodeReporterOptions options_;
  bool registered_ = false;
  Json node_;
  std::optional<std::chrono::steady_clock::time_point> last_check_, last_report_, last_lease_;
};

}  // namespace capstan::kubelet::nodestatus

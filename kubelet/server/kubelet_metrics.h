#pragma once
// /metrics: the kubelet's own series in the Prometheus text format, as upstream's legacy
// registry names them: the node name, the pods and containers it runs (from their
// statuses), and the process collector's process_* figures read from /proc/self.

#include <string>
#include <vector>

#include "api/k8s/pod.h"

namespace capstan::kubelet::server {

std::string KubeletMetricsText(const std::string& node_name,
                               const std::vector<api::k8s::Pod>& pods);

}  // namespace capstan::kubelet::server

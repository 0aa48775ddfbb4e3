#pragma once
// Pod admission on the node, as upstream's predicate admit handler: before a pod from the
// API runs, the kubelet re-checks what the scheduler decided against its own view of the
// node and of the pods it already runs. A pod that does not fit is never started; it gets
// a Failed status with upstream's reason and message ("Pod was rejected: ...") and a
// Warning event. Checked in upstream's order; the first failure is the one reported:
//   1. the kubernetes.io/os label (PodOSSelectorNodeLabelDoesNotMatch);
//   2. resources: pod count, cpu, memory, ephemeral-storage, then hugepages and extended
//      resources the node has (OutOfpods, OutOfcpu, ... "Node didn't have enough
//      resource: cpu, requested: 3000, used: 500, capacity: 2000");
//   3. nodeSelector and required node affinity (NodeAffinity);
//   4. host ports in use (NodePorts);
//   5. NoExecute taints the pod does not tolerate (TaintToleration; not for static pods).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/k8s/pod.h"
#include "api/k8s/scheduling/node_fit.h"

namespace capstan::kubelet::lifecycle {

using api::k8s::scheduling::NodeInfo;
using api::k8s::scheduling::NodeInfoFromJson;
using api::k8s::scheduling::Taint;

struct AdmitResult {
  bool admit = true;
  std::string reason;
  std::string message;
};

// `active`: the pods admitted before it that still run (not terminal, not this one).
AdmitResult CanAdmitPod(const api::k8s::Pod& pod, const NodeInfo& node,
                        const std::vector<api::k8s::Pod>& active);

}  // namespace capstan::kubelet::lifecycle

#include "control-plane/scheduler/snapshot.h"

namespace capstan::control_plane::scheduler {

namespace sched = api::k8s::scheduling;

NonZeroRequests NonZeroRequestsOf(const api::k8s::Pod& pod) {
  constexpr int64_t kDefaultCpuMilli = 100;
  constexpr int64_t kDefaultMemory = 200LL * 1024 * 1024;
  auto of = [](const api::k8s::Container& c) {
    NonZeroRequests r{kDefaultCpuMilli, kDefaultMemory};
    if (auto cpu = c.resources.requests.find("cpu"); cpu != c.resources.requests.end()) {
      r.cpu_milli = cpu->second.MilliValue();
    }
    if (auto mem = c.resources.requests.find("memory"); mem != c.resources.requests.end()) {
      r.memory = mem->second.Value();
    }
    return r;
  };
  NonZeroRequests sum;
  for (const auto& c : pod.spec.containers) {
    auto r = of(c);
    sum.cpu_milli += r.cpu_milli;
    sum.memory += r.memory;
  }
  for (const auto& c : pod.spec.init_containers) {
    auto r = of(c);
    sum.cpu_milli = std::max(sum.cpu_milli, r.cpu_milli);
    sum.memory = std::max(sum.memory, r.memory);
  }
  return sum;
}

void Snapshot::AddNode(const Json& node) {
  NodeState state;
  state.info = sched::NodeInfoFromJson(node);
  if (state.info.name.empty() || index_.contains(state.info.name)) return;
  index_[state.info.name] = nodes_.size();
  nodes_.push_back(std::move(state));
}

void Snapshot::AddPod(const api::k8s::Pod& pod, const std::string& node_name) {
  auto it = index_.find(node_name);
  if (it == index_.end()) return;
  NodeState& node = nodes_[it->second];
  ++node.pod_count;
  for (const auto& [name, q] : sched::PodRequests(pod)) {
    node.requested[name] += sched::ResourceAmount(name, q);
  }
  auto nonzero = NonZeroRequestsOf(pod);
  node.nonzero_cpu_milli += nonzero.cpu_milli;
  node.nonzero_memory += nonzero.memory;
  sched::AddHostPorts(pod, node.host_ports);
}

}  // namespace capstan::control_plane::scheduler

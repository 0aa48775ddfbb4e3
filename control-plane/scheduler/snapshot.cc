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

PodUsage UsageOf(const api::k8s::Pod& pod) {
  PodUsage usage;
  usage.key = pod.metadata.namespace_ + "/" + pod.metadata.name;
  usage.uid = pod.metadata.uid;
  usage.placed = {
      pod.metadata.namespace_,
      pod.metadata.labels,
      AffinityTermsOf(pod).required_anti_affinity,
      pod.metadata.deletion_timestamp.has_value(),
      pod.spec.priority.value_or(0),
      pod.status.start_time.value_or(pod.metadata.creation_timestamp.value_or(WallTime{}))};
  for (const auto& [name, q] : sched::PodRequests(pod)) {
    usage.requested[name] += sched::ResourceAmount(name, q);
  }
  usage.nonzero = NonZeroRequestsOf(pod);
  sched::AddHostPorts(pod, usage.host_ports);
  return usage;
}

bool Snapshot::SetNode(const Json& node) {
  auto info = sched::NodeInfoFromJson(node);
  if (info.name.empty()) return false;
  if (auto it = index_.find(info.name); it != index_.end()) {
    nodes_[it->second].info = std::move(info);
    return false;
  }
  index_[info.name] = nodes_.size();
  nodes_.push_back({});
  nodes_.back().info = std::move(info);
  return true;
}

void Snapshot::RemoveNode(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return;
  for (const auto& [key, usage] : nodes_[it->second].pods) {
    if (!usage.placed.required_anti_affinity.empty()) --pods_with_anti_affinity_;
  }
  nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < nodes_.size(); ++i) index_[nodes_[i].info.name] = i;
}

void AddToNode(NodeState& node, const PodUsage& usage) {
  ++node.pod_count;
  node.pods[usage.key] = usage;
  for (const auto& [name, amount] : usage.requested) node.requested[name] += amount;
  node.nonzero_cpu_milli += usage.nonzero.cpu_milli;
  node.nonzero_memory += usage.nonzero.memory;
  node.host_ports.insert(usage.host_ports.begin(), usage.host_ports.end());
}

void RemoveFromNode(NodeState& node, const PodUsage& usage) {
  --node.pod_count;
  node.pods.erase(usage.key);
  for (const auto& [name, amount] : usage.requested) {
    if ((node.requested[name] -= amount) == 0) node.requested.erase(name);
  }
  node.nonzero_cpu_milli -= usage.nonzero.cpu_milli;
  node.nonzero_memory -= usage.nonzero.memory;
  for (const auto& [port, ip] : usage.host_ports) {
    auto [from, to] = node.host_ports.equal_range(port);
    for (auto p = from; p != to; ++p) {
      if (p->second == ip) {
        node.host_ports.erase(p);
        break;
      }
    }
  }
}

void Snapshot::AddUsage(const PodUsage& usage, const std::string& node_name) {
  auto it = index_.find(node_name);
  if (it == index_.end()) return;
  AddToNode(nodes_[it->second], usage);
  if (!usage.placed.required_anti_affinity.empty()) ++pods_with_anti_affinity_;
}

void Snapshot::RemoveUsage(const PodUsage& usage, const std::string& node_name) {
  auto it = index_.find(node_name);
  if (it == index_.end()) return;
  RemoveFromNode(nodes_[it->second], usage);
  if (!usage.placed.required_anti_affinity.empty()) --pods_with_anti_affinity_;
}

}  // namespace capstan::control_plane::scheduler

#include "kubelet/lifecycle/admission.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include "api/k8s/codec.h"
#include "kubelet/podworkers/pod_workers.h"

namespace capstan::kubelet::lifecycle {
namespace {

using api::k8s::NodeSelectorRequirement;
using api::k8s::NodeSelectorTerm;
using api::k8s::Pod;

// cpu in millicores, everything else in whole units, as upstream counts them.
int64_t Amount(const std::string& resource, const api::k8s::Quantity& q) {
  return resource == "cpu" ? q.MilliValue() : q.Value();
}

// Extended resources live under a domain other than kubernetes.io ("example.com/gpu"); a
// node that does not know one leaves it to a cluster-level provider (as upstream).
bool IsExtended(const std::string& resource) {
  auto slash = resource.find('/');
  if (slash == std::string::npos) return false;
  std::string_view domain(resource.data(), slash);
  return !(domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") ||
           resource.starts_with("requests."));
}

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool MatchesRequirement(const NodeSelectorRequirement& r, const api::k8s::StringMap& labels) {
  auto it = labels.find(r.key);
  bool has = it != labels.end();
  auto in = [&] {
    for (const auto& v : r.values) {
      if (has && it->second == v) return true;
    }
    return false;
  };
  if (r.operator_ == "In") return in();
  if (r.operator_ == "NotIn") return !in();
  if (r.operator_ == "Exists") return has;
  if (r.operator_ == "DoesNotExist") return !has;
  if ((r.operator_ == "Gt" || r.operator_ == "Lt") && has && r.values.size() == 1) {
    auto have = ParseInt(it->second);
    auto want = ParseInt(r.values[0]);
    if (!have || !want) return false;
    return r.operator_ == "Gt" ? *have > *want : *have < *want;
  }
  return false;
}

bool MatchesTerm(const NodeSelectorTerm& t, const NodeInfo& node) {
  if (t.match_expressions.empty() && t.match_fields.empty()) return false;  // matches nothing
  for (const auto& r : t.match_expressions) {
    if (!MatchesRequirement(r, node.labels)) return false;
  }
  for (const auto& r : t.match_fields) {
    if (r.key != "metadata.name" || !MatchesRequirement(r, {{"metadata.name", node.name}})) {
      return false;
    }
  }
  return true;
}

// (protocol, port) -> host IPs that hold it.
using PortUse = std::multimap<std::pair<std::string, int32_t>, std::string>;

void AddPorts(const Pod& pod, PortUse& used) {
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const auto& c : *list) {
      for (const auto& p : c.ports) {
        if (p.host_port <= 0) continue;
        used.emplace(std::pair{p.protocol.empty() ? "TCP" : p.protocol, p.host_port},
                     p.host_ip.empty() ? "0.0.0.0" : p.host_ip);
      }
    }
  }
}

bool PortsConflict(const Pod& pod, const std::vector<Pod>& active) {
  PortUse used;
  for (const auto& other : active) AddPorts(other, used);
  PortUse wanted;
  AddPorts(pod, wanted);
  for (const auto& [key, ip] : wanted) {
    auto [lo, hi] = used.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      if (ip == "0.0.0.0" || it->second == "0.0.0.0" || ip == it->second) return true;
    }
  }
  return false;
}

AdmitResult Reject(std::string reason, std::string message) {
  return {false, std::move(reason), std::move(message)};
}

AdmitResult Predicate(const std::string& name, const std::string& description) {
  return Reject(name, fmt::format("Predicate {} failed: {}", name, description));
}

std::optional<AdmitResult> CheckResources(const Pod& pod, const NodeInfo& node,
                                          const std::vector<Pod>& active) {
  auto insufficient = [](const std::string& resource, int64_t requested, int64_t used,
                         int64_t capacity) {
    return Reject("OutOf" + resource,
                  fmt::format("Node didn't have enough resource: {}, requested: {}, used: {}, "
                              "capacity: {}",
                              resource, requested, used, capacity));
  };
  if (auto it = node.allocatable.find("pods"); it != node.allocatable.end()) {
    int64_t allowed = it->second.Value();
    if (static_cast<int64_t>(active.size()) + 1 > allowed) {
      return insufficient("pods", 1, static_cast<int64_t>(active.size()), allowed);
    }
  }
  api::k8s::ResourceList wanted = PodRequests(pod);
  std::vector<std::string> order = {"cpu", "memory", "ephemeral-storage"};
  for (const auto& [name, q] : wanted) {
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage") order.push_back(name);
  }
  for (const auto& name : order) {
    auto w = wanted.find(name);
    if (w == wanted.end() || Amount(name, w->second) == 0) continue;
    auto cap = node.allocatable.find(name);
    if (cap == node.allocatable.end() && IsExtended(name)) continue;
    int64_t capacity = cap == node.allocatable.end() ? 0 : Amount(name, cap->second);
    int64_t used = 0;
    for (const auto& other : active) {
      auto requests = PodRequests(other);
      if (auto o = requests.find(name); o != requests.end()) used += Amount(name, o->second);
    }
    int64_t requested = Amount(name, w->second);
    if (requested + used > capacity) return insufficient(name, requested, used, capacity);
  }
  return std::nullopt;
}

}  // namespace

NodeInfo NodeInfoFromJson(const nlohmann::json& node) {
  NodeInfo info;
  const auto meta = node.value("metadata", nlohmann::json::object());
  info.name = meta.value("name", "");
  const auto labels = meta.value("labels", nlohmann::json::object());
  for (const auto& [k, v] : labels.items()) {
    if (v.is_string()) info.labels[k] = v.get<std::string>();
  }
  const auto spec = node.value("spec", nlohmann::json::object());
  for (const auto& t : spec.value("taints", nlohmann::json::array())) {
    if (!t.is_object()) continue;
    info.taints.push_back({t.value("key", ""), t.value("value", ""), t.value("effect", "")});
  }
  const auto status = node.value("status", nlohmann::json::object());
  const auto allocatable = status.value("allocatable", nlohmann::json::object());
  for (const auto& [k, v] : allocatable.items()) {
    if (auto q = api::k8s::DecodeQuantity(v, "status.allocatable." + k)) info.allocatable[k] = *q;
  }
  return info;
}

api::k8s::ResourceList PodRequests(const Pod& pod) {
  std::map<std::string, int64_t> sum;  // milli-units
  for (const auto& c : pod.spec.containers) {
    for (const auto& [name, q] : c.resources.requests) sum[name] += q.MilliValue();
  }
  for (const auto& c : pod.spec.init_containers) {
    for (const auto& [name, q] : c.resources.requests) {
      sum[name] = std::max(sum[name], q.MilliValue());
    }
  }
  api::k8s::ResourceList out;
  for (const auto& [name, milli] : sum) out[name] = api::k8s::Quantity::FromMilli(milli);
  return out;
}

bool MatchesNodeSelectorAndAffinity(const Pod& pod, const NodeInfo& node) {
  for (const auto& [k, v] : pod.spec.node_selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  if (!pod.spec.affinity || !pod.spec.affinity->node_affinity ||
      !pod.spec.affinity->node_affinity->required) {
    return true;
  }
  for (const auto& term : *pod.spec.affinity->node_affinity->required) {
    if (MatchesTerm(term, node)) return true;
  }
  return false;
}

bool ToleratesTaint(const std::vector<api::k8s::Toleration>& tolerations, const Taint& taint) {
  for (const auto& t : tolerations) {
    if (!t.effect.empty() && t.effect != taint.effect) continue;
    if (t.operator_ == "Exists") {
      if (t.key.empty() || t.key == taint.key) return true;
      continue;
    }
    if (t.key == taint.key && t.value == taint.value) return true;  // Equal, the default
  }
  return false;
}

AdmitResult CanAdmitPod(const Pod& pod, const NodeInfo& node, const std::vector<Pod>& active) {
  if (auto os = pod.metadata.labels.find("kubernetes.io/os"); os != pod.metadata.labels.end()) {
    auto node_os = node.labels.find("kubernetes.io/os");
    std::string have = node_os == node.labels.end() ? "linux" : node_os->second;
    if (os->second != have) {
      return Reject("PodOSSelectorNodeLabelDoesNotMatch",
                    "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
    }
  }
  if (auto r = CheckResources(pod, node, active)) return *r;
  if (!MatchesNodeSelectorAndAffinity(pod, node)) {
    return Predicate("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
  }
  if (!pod.spec.node_name.empty() && pod.spec.node_name != node.name) {
    return Predicate("NodeName", "node(s) didn't match the requested node name");
  }
  if (PortsConflict(pod, active)) {
    return Predicate("NodePorts", "node(s) didn't have free ports for the requested pod ports");
  }
  if (!podworkers::IsStaticPod(pod)) {
    for (const auto& taint : node.taints) {
      if (taint.effect == "NoExecute" && !ToleratesTaint(pod.spec.tolerations, taint)) {
        return Predicate("TaintToleration", "node(s) had untolerated taint");
      }
    }
  }
  return {};
}

}  // namespace capstan::kubelet::lifecycle

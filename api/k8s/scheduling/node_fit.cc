#include "api/k8s/scheduling/node_fit.h"

#include <charconv>
#include <optional>

#include "api/k8s/codec.h"

namespace capstan::api::k8s::scheduling {
namespace {

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool MatchesRequirement(const NodeSelectorRequirement& r, const StringMap& labels) {
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

}  // namespace

int64_t ResourceAmount(const std::string& resource, const Quantity& q) {
  return resource == "cpu" ? q.MilliValue() : q.Value();
}

bool IsExtendedResource(const std::string& resource) {
  auto slash = resource.find('/');
  if (slash == std::string::npos) return false;
  std::string_view domain(resource.data(), slash);
  return !(domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") ||
           resource.starts_with("requests."));
}

bool MatchesNodeSelectorTerm(const NodeSelectorTerm& t, const NodeInfo& node) {
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
  info.unschedulable = spec.value("unschedulable", false);
  const auto status = node.value("status", nlohmann::json::object());
  const auto allocatable = status.value("allocatable", nlohmann::json::object());
  for (const auto& [k, v] : allocatable.items()) {
    if (auto q = DecodeQuantity(v, "status.allocatable." + k)) info.allocatable[k] = *q;
  }
  return info;
}

ResourceList PodRequests(const Pod& pod) {
  std::map<std::string, int64_t> sum;  // milli-units
  for (const auto& c : pod.spec.containers) {
    for (const auto& [name, q] : c.resources.requests) sum[name] += q.MilliValue();
  }
  for (const auto& c : pod.spec.init_containers) {
    for (const auto& [name, q] : c.resources.requests) {
      sum[name] = std::max(sum[name], q.MilliValue());
    }
  }
  ResourceList out;
  for (const auto& [name, milli] : sum) out[name] = Quantity::FromMilli(milli);
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
    if (MatchesNodeSelectorTerm(term, node)) return true;
  }
  return false;
}

bool ToleratesTaint(const std::vector<Toleration>& tolerations, const Taint& taint) {
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

void AddHostPorts(const Pod& pod, HostPortUse& used) {
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

bool HostPortsConflict(const Pod& pod, const HostPortUse& used) {
  HostPortUse wanted;
  AddHostPorts(pod, wanted);
  for (const auto& [key, ip] : wanted) {
    auto [lo, hi] = used.equal_range(key);
    for (auto it = lo; it != hi; ++it) {
      if (ip == "0.0.0.0" || it->second == "0.0.0.0" || ip == it->second) return true;
    }
  }
  return false;
}

}  // namespace capstan::api::k8s::scheduling

#include "control-plane/scheduler/pod_affinity.h"

namespace capstan::control_plane::scheduler {
namespace {

using Json = nlohmann::json;

std::optional<PodAffinityTerm> TermFrom(const Json& j, int32_t weight) {
  if (!j.is_object()) return std::nullopt;
  PodAffinityTerm t;
  t.weight = weight;
  t.topology_key = j.value("topologyKey", "");
  if (t.topology_key.empty()) return std::nullopt;
  auto selector = api::k8s::LabelSelector::FromJson(j.value("labelSelector", Json()));
  if (!selector) return std::nullopt;
  t.selector = *selector;
  for (const auto& ns : j.value("namespaces", Json::array())) {
    if (ns.is_string()) t.namespaces.insert(ns.get<std::string>());
  }
  const Json& ns_selector = j.value("namespaceSelector", Json());
  if (ns_selector.is_object() && ns_selector.empty()) t.all_namespaces = true;
  return t;
}

void ReadTerms(const std::string& text, std::vector<PodAffinityTerm>& required,
               std::vector<PodAffinityTerm>& preferred) {
  if (text.empty()) return;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  for (const auto& term :
       j.value("requiredDuringSchedulingIgnoredDuringExecution", Json::array())) {
    if (auto t = TermFrom(term, 0)) required.push_back(std::move(*t));
  }
  for (const auto& p : j.value("preferredDuringSchedulingIgnoredDuringExecution", Json::array())) {
    if (!p.is_object() || !p.value("weight", Json()).is_number_integer()) continue;
    if (auto t = TermFrom(p.value("podAffinityTerm", Json()), p["weight"].get<int32_t>())) {
      preferred.push_back(std::move(*t));
    }
  }
}

}  // namespace

bool PodAffinityTerm::Selects(const std::string& owner_ns, const std::string& ns,
                              const api::k8s::StringMap& labels) const {
  bool in_namespace =
      all_namespaces || namespaces.contains(ns) || (namespaces.empty() && ns == owner_ns);
  return in_namespace && selector.Matches(labels);
}

PodAffinityTerms AffinityTermsOf(const api::k8s::Pod& pod) {
  PodAffinityTerms out;
  if (!pod.spec.affinity) return out;
  ReadTerms(pod.spec.affinity->pod_affinity_json, out.required_affinity, out.preferred_affinity);
  ReadTerms(pod.spec.affinity->pod_anti_affinity_json, out.required_anti_affinity,
            out.preferred_anti_affinity);
  return out;
}

std::vector<TopologySpreadConstraint> SpreadConstraintsOf(const api::k8s::Pod& pod) {
  std::vector<TopologySpreadConstraint> out;
  if (pod.spec.topology_spread_constraints_json.empty()) return out;
  Json j = Json::parse(pod.spec.topology_spread_constraints_json, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& c : j) {
    if (!c.is_object()) continue;
    TopologySpreadConstraint t;
    t.max_skew = c.value("maxSkew", Json(1)).is_number_integer() ? c["maxSkew"].get<int32_t>() : 1;
    t.topology_key = c.value("topologyKey", "");
    t.do_not_schedule = c.value("whenUnsatisfiable", "DoNotSchedule") != "ScheduleAnyway";
    auto selector = api::k8s::LabelSelector::FromJson(c.value("labelSelector", Json()));
    if (t.topology_key.empty() || t.max_skew <= 0 || !selector) continue;
    t.selector = *selector;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace capstan::control_plane::scheduler

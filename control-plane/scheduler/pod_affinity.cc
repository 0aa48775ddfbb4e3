#include "control-plane/scheduler/pod_affinity.h"

#include <climits>

namespace capstan::control_plane::scheduler {
namespace {

using Json = nlohmann::json;

// A string member ("" when absent or of another type: never throws on hostile input).
std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<PodAffinityTerm> TermFrom(const Json& j, int32_t weight) {
  if (!j.is_object()) return std::nullopt;
  PodAffinityTerm t;
  t.weight = weight;
  t.topology_key = Str(j, "topologyKey");
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
    if (!p.is_object()) continue;
    const Json& weight = p.value("weight", Json());
    if (!weight.is_number_integer() || weight.get<int64_t>() < -100 ||
        weight.get<int64_t>() > 100) {
      continue;
    }
    if (auto t = TermFrom(p.value("podAffinityTerm", Json()), weight.get<int32_t>())) {
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
    const Json& skew = c.value("maxSkew", Json(1));
    t.max_skew =
        skew.is_number_integer() && skew.get<int64_t>() > 0 && skew.get<int64_t>() <= INT32_MAX
            ? skew.get<int32_t>()
            : 0;  // invalid: left out below
    t.topology_key = Str(c, "topologyKey");
    t.do_not_schedule = Str(c, "whenUnsatisfiable") != "ScheduleAnyway";
    auto selector = api::k8s::LabelSelector::FromJson(c.value("labelSelector", Json()));
    if (t.topology_key.empty() || t.max_skew <= 0 || !selector) continue;
    t.selector = *selector;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace capstan::control_plane::scheduler

// JSON <-> affinity and tolerations.
#include "api/k8s/decode_internal.h"

namespace capstan::api::k8s {
namespace {

using Path = const std::string&;

Result<NodeSelectorRequirement> DecodeRequirement(const Json& j, Path path) {
  FieldReader r(j, path);
  NodeSelectorRequirement q{r.String("key"), r.String("operator"), r.StringList("values")};
  CAPSTAN_TRY(r.Finish());
  return q;
}

Result<NodeSelectorTerm> DecodeTerm(const Json& j, Path path) {
  FieldReader r(j, path);
  NodeSelectorTerm t;
  t.match_expressions = r.List<NodeSelectorRequirement>("matchExpressions", DecodeRequirement);
  t.match_fields = r.List<NodeSelectorRequirement>("matchFields", DecodeRequirement);
  CAPSTAN_TRY(r.Finish());
  return t;
}

Result<NodeAffinity> DecodeNodeAffinity(const Json& j, Path path) {
  FieldReader r(j, path);
  NodeAffinity a;
  auto required = r.Object<std::vector<NodeSelectorTerm>>(
      "requiredDuringSchedulingIgnoredDuringExecution",
      [](const Json& j, Path p) -> Result<std::vector<NodeSelectorTerm>> {
        FieldReader r(j, p);
        auto terms = r.List<NodeSelectorTerm>("nodeSelectorTerms", DecodeTerm);
        CAPSTAN_TRY(r.Finish());
        return terms;
      });
  a.required = std::move(required);
  a.preferred = r.List<PreferredSchedulingTerm>(
      "preferredDuringSchedulingIgnoredDuringExecution",
      [](const Json& j, Path p) -> Result<PreferredSchedulingTerm> {
        FieldReader r(j, p);
        PreferredSchedulingTerm t;
        t.weight = r.Int32("weight");
        t.preference =
            r.Object<NodeSelectorTerm>("preference", DecodeTerm).value_or(NodeSelectorTerm{});
        CAPSTAN_TRY(r.Finish());
        return t;
      });
  CAPSTAN_TRY(r.Finish());
  return a;
}

Json EncodeRequirements(const std::vector<NodeSelectorRequirement>& list) {
  Json out = Json::array();
  for (const auto& q : list) {
    Json e = {{"key", q.key}, {"operator", q.operator_}};
    if (!q.values.empty()) e["values"] = q.values;
    out.push_back(std::move(e));
  }
  return out;
}

Json EncodeTerm(const NodeSelectorTerm& t) {
  Json j = Json::object();
  if (!t.match_expressions.empty()) j["matchExpressions"] = EncodeRequirements(t.match_expressions);
  if (!t.match_fields.empty()) j["matchFields"] = EncodeRequirements(t.match_fields);
  return j;
}

}  // namespace

Result<std::vector<NodeSelectorTerm>> DecodeNodeSelector(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  auto terms = r.List<NodeSelectorTerm>("nodeSelectorTerms", DecodeTerm);
  CAPSTAN_TRY(r.Finish());
  return terms;
}

Result<Affinity> DecodeAffinity(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  Affinity a;
  a.node_affinity = r.Object<NodeAffinity>("nodeAffinity", DecodeNodeAffinity);
  if (r.Has("podAffinity")) a.pod_affinity_json = r.Raw("podAffinity").dump();
  if (r.Has("podAntiAffinity")) a.pod_anti_affinity_json = r.Raw("podAntiAffinity").dump();
  CAPSTAN_TRY(r.Finish());
  return a;
}

Result<Toleration> DecodeToleration(const Json& j, const std::string& path) {
  FieldReader r(j, path);
  Toleration t{r.String("key"), r.String("operator"), r.String("value"), r.String("effect"),
               r.OptInt("tolerationSeconds")};
  CAPSTAN_TRY(r.Finish());
  return t;
}

Json EncodeAffinity(const Affinity& a) {
  Json j = Json::object();
  if (a.node_affinity) {
    Json n = Json::object();
    if (a.node_affinity->required) {
      Json terms = Json::array();
      for (const auto& t : *a.node_affinity->required) terms.push_back(EncodeTerm(t));
      n["requiredDuringSchedulingIgnoredDuringExecution"] = {{"nodeSelectorTerms", terms}};
    }
    if (!a.node_affinity->preferred.empty()) {
      Json preferred = Json::array();
      for (const auto& p : a.node_affinity->preferred) {
        preferred.push_back({{"weight", p.weight}, {"preference", EncodeTerm(p.preference)}});
      }
      n["preferredDuringSchedulingIgnoredDuringExecution"] = preferred;
    }
    j["nodeAffinity"] = n;
  }
  if (!a.pod_affinity_json.empty())
    j["podAffinity"] = Json::parse(a.pod_affinity_json, nullptr, false);
  if (!a.pod_anti_affinity_json.empty()) {
    j["podAntiAffinity"] = Json::parse(a.pod_anti_affinity_json, nullptr, false);
  }
  return j;
}

Json EncodeToleration(const Toleration& t) {
  Json j = Json::object();
  if (!t.key.empty()) j["key"] = t.key;
  if (!t.operator_.empty()) j["operator"] = t.operator_;
  if (!t.value.empty()) j["value"] = t.value;
  if (!t.effect.empty()) j["effect"] = t.effect;
  if (t.toleration_seconds) j["tolerationSeconds"] = *t.toleration_seconds;
  return j;
}

}  // namespace capstan::api::k8s

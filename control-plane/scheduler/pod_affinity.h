#pragma once
// Inter-pod affinity terms and topology spread constraints, read from the pod spec's JSON
// (api::k8s::Pod keeps both as text: they are the scheduler's alone).

#include <set>
#include <string>
#include <vector>

#include "api/k8s/labels.h"
#include "api/k8s/pod.h"

namespace capstan::control_plane::scheduler {

// One podAffinity or podAntiAffinity term: pods matching `selector` in the namespaces it
// names, counted per value of the node label `topology_key`.
struct PodAffinityTerm {
  api::k8s::LabelSelector selector = api::k8s::LabelSelector::Nothing();
  std::set<std::string> namespaces;  // with all_namespaces false and this empty: the owner's
  bool all_namespaces = false;       // namespaceSelector {} (capstan reads no other selector)
  std::string topology_key;
  int32_t weight = 0;  // preferred terms
  // Whether a pod (namespace, labels) is one the term, written in `owner_ns`, selects.
  bool Selects(const std::string& owner_ns, const std::string& ns,
               const api::k8s::StringMap& labels) const;
};

struct PodAffinityTerms {
  std::vector<PodAffinityTerm> required_affinity;
  std::vector<PodAffinityTerm> preferred_affinity;
  std::vector<PodAffinityTerm> required_anti_affinity;
  std::vector<PodAffinityTerm> preferred_anti_affinity;
  bool empty() const {
    return required_affinity.empty() && preferred_affinity.empty() &&
           required_anti_affinity.empty() && preferred_anti_affinity.empty();
  }
};
// Terms that do not parse are left out (validation keeps them out of the API).
PodAffinityTerms AffinityTermsOf(const api::k8s::Pod& pod);

struct TopologySpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  bool do_not_schedule = true;  // whenUnsatisfiable DoNotSchedule (else ScheduleAnyway)
  api::k8s::LabelSelector selector = api::k8s::LabelSelector::Nothing();
};
std::vector<TopologySpreadConstraint> SpreadConstraintsOf(const api::k8s::Pod& pod);

}  // namespace capstan::control_plane::scheduler

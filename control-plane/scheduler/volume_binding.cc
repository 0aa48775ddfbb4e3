#include "control-plane/scheduler/volume_binding.h"

#include "api/k8s/codec.h"
#include "control-plane/controllers/pod_util.h"
#include "control-plane/controllers/volume_binding.h"

namespace capstan::control_plane::scheduler {
namespace {

namespace binder = control_plane::controllers;
constexpr char kStateKey[] = "VolumeBinding";
constexpr char kNoProvisioner[] = "kubernetes.io/no-provisioner";

using controllers::Field;

std::string Text(const Json& o, std::initializer_list<const char*> path) {
  return controllers::StringOf(Field(o, path));
}

// A volume's required node affinity (nullopt: any node; an unreadable one allows none).
std::optional<std::vector<api::k8s::NodeSelectorTerm>> AffinityOf(const Json& volume) {
  const Json& required = Field(volume, {"spec", "nodeAffinity", "required"});
  if (required.is_null()) return std::nullopt;
  auto terms = api::k8s::DecodeNodeSelector(required, "spec.nodeAffinity.required");
  return terms ? *terms : std::vector<api::k8s::NodeSelectorTerm>{};
}

bool Allows(const std::optional<std::vector<api::k8s::NodeSelectorTerm>>& affinity,
            const api::k8s::scheduling::NodeInfo& node) {
  if (!affinity) return true;
  for (const auto& t : *affinity) {
    if (api::k8s::scheduling::MatchesNodeSelectorTerm(t, node)) return true;
  }
  return false;
}

struct WaitingClaim {
  Json claim;
  bool provisionable = false;
};

struct State {
  std::vector<std::optional<std::vector<api::k8s::NodeSelectorTerm>>> bound;
  std::vector<WaitingClaim> waiting;
  std::vector<Json> free_volumes;  // unreserved, Available
};

// For each waiting claim, the index in free_volumes of the volume it would take on `node`
// (-1: provisioned), or nullopt when one of them finds nothing.
std::optional<std::vector<int>> Choose(const State& s, const api::k8s::scheduling::NodeInfo& node) {
  std::vector<bool> taken(s.free_volumes.size(), false);
  std::vector<int> out;
  for (const auto& w : s.waiting) {
    // The smallest free volume that fits and that the node may use.
    int best = -1;
    for (size_t i = 0; i < s.free_volumes.size(); ++i) {
      const Json& v = s.free_volumes[i];
      if (taken[i] || !binder::Mismatch(w.claim, v).empty() || !Allows(AffinityOf(v), node)) {
        continue;
      }
      if (best < 0 || binder::VolumeCapacity(v) <
                          binder::VolumeCapacity(s.free_volumes[static_cast<size_t>(best)])) {
        best = static_cast<int>(i);
      }
    }
    if (best < 0 && !w.provisionable) return std::nullopt;
    if (best >= 0) taken[static_cast<size_t>(best)] = true;
    out.push_back(best);
  }
  return out;
}

}  // namespace

void VolumeBindingPlugin::PreFilter(const api::k8s::Pod& pod, const Snapshot& /*snapshot*/,
                                    CycleState& cycle) const {
  State s;
  bool any_waiting = false;
  for (const auto& v : pod.spec.volumes) {
    std::string claim_name = api::k8s::ClaimNameOf(pod, v);
    if (claim_name.empty()) continue;
    auto claim = listers_.claim(pod.metadata.namespace_, claim_name);
    if (!claim) continue;  // turned away before the plugins run
    std::string volume_name = Text(*claim, {"spec", "volumeName"});
    if (!volume_name.empty()) {
      if (auto volume = listers_.volume(volume_name)) s.bound.push_back(AffinityOf(*volume));
      continue;
    }
    auto sc = listers_.storage_class(binder::ClaimClass(*claim));
    std::string provisioner = sc ? Text(*sc, {"provisioner"}) : "";
    s.waiting.push_back({*claim, !provisioner.empty() && provisioner != kNoProvisioner});
    any_waiting = true;
  }
  if (any_waiting) {
    for (auto& v : listers_.volumes()) {
      std::string phase = Text(v, {"status", "phase"});
      bool free = Field(v, {"spec", "claimRef"}).is_null() &&
                  (phase.empty() || phase == "Available") &&
                  Field(v, {"metadata", "deletionTimestamp"}).is_null();
      if (free) s.free_volumes.push_back(std::move(v));
    }
  }
  if (!s.bound.empty() || !s.waiting.empty()) cycle[kStateKey] = std::move(s);
}

std::optional<FilterFailure> VolumeBindingPlugin::Filter(const api::k8s::Pod& /*pod*/,
                                                         const NodeState& node,
                                                         const CycleState& cycle) const {
  auto it = cycle.find(kStateKey);
  if (it == cycle.end()) return std::nullopt;
  const auto& s = std::any_cast<const State&>(it->second);
  for (const auto& affinity : s.bound) {
    if (!Allows(affinity, node.info)) {
      return FilterFailure{{"node(s) had volume node affinity conflict"}, true};
    }
  }
  if (!s.waiting.empty() && !Choose(s, node.info)) {
    return FilterFailure{{"node(s) didn't find available persistent volumes to bind"}, true};
  }
  return std::nullopt;
}

std::optional<VolumeAssignment> VolumeBindingPlugin::Assign(const api::k8s::Pod& pod,
                                                            const NodeState& node) const {
  CycleState cycle;
  PreFilter(pod, Snapshot(), cycle);
  VolumeAssignment out;
  auto it = cycle.find(kStateKey);
  if (it == cycle.end()) return out;
  const auto& s = std::any_cast<const State&>(it->second);
  auto chosen = Choose(s, node.info);
  if (!chosen) return std::nullopt;
  for (size_t i = 0; i < chosen->size(); ++i) {
    int v = (*chosen)[i];
    if (v >= 0) {
      out.reserve.push_back({s.free_volumes[static_cast<size_t>(v)], s.waiting[i].claim});
    } else {
      out.provision.push_back(s.waiting[i].claim);
    }
  }
  return out;
}

}  // namespace capstan::control_plane::scheduler

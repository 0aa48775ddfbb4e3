#include "control-plane/controllers/daemonset_controller.h"

#include <algorithm>
#include <map>

#include "api/k8s/codec.h"
#include "api/k8s/labels.h"
#include "common/log.h"
#include "control-plane/controllers/controller_history.h"
#include "control-plane/controllers/deployment_util.h"
#include "control-plane/controllers/pod_claims.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {

namespace client = api::k8s::client;
using api::k8s::scheduling::NodeInfo;

struct DaemonSetController::NodeState {
  std::string name;
  Placement placement;
  std::vector<Json> pods;    // the set's pods here that are not terminating, oldest first
  bool terminating = false;  // one of the set's pods here is on its way out
};

namespace {

const log::Logger kLog("daemonset-controller");

std::string HashOf(const Json& pod) {
  return StringOf(Field(pod, {"metadata", "labels", kControllerRevisionHashLabel}));
}

// The tolerations every daemon pod carries, so node conditions do not evict it.
void AddDaemonTolerations(Json& spec) {
  if (!spec.is_object()) spec = Json::object();
  Json& tolerations = spec["tolerations"];
  if (!tolerations.is_array()) tolerations = Json::array();
  auto add = [&](const char* key, const char* effect) {
    for (const auto& t : tolerations) {
      if (StringOf(Field(t, {"key"})) == key && StringOf(Field(t, {"effect"})) == effect) return;
    }
    tolerations.push_back({{"key", key}, {"operator", "Exists"}, {"effect", effect}});
  };
  add("node.kubernetes.io/not-ready", "NoExecute");
  add("node.kubernetes.io/unreachable", "NoExecute");
  add("node.kubernetes.io/disk-pressure", "NoSchedule");
  add("node.kubernetes.io/memory-pressure", "NoSchedule");
  add("node.kubernetes.io/pid-pressure", "NoSchedule");
  add("node.kubernetes.io/unschedulable", "NoSchedule");
  if (Field(spec, {"hostNetwork"}) == true) {
    add("node.kubernetes.io/network-unavailable", "NoSchedule");
  }
}

// The node a daemon pod is for: its nodeName once bound, else the node its required
// affinity names by metadata.name.
std::string TargetNode(const Json& pod) {
  std::string bound = StringOf(Field(pod, {"spec", "nodeName"}));
  if (!bound.empty()) return bound;
  const Json& terms =
      Field(pod, {"spec", "affinity", "nodeAffinity",
                  "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  if (!terms.is_array()) return "";
  for (const auto& term : terms) {
    const Json& fields = Field(term, {"matchFields"});
    if (!fields.is_array()) continue;
    for (const auto& f : fields) {
      if (StringOf(Field(f, {"key"})) == "metadata.name" &&
          StringOf(Field(f, {"operator"})) == "In" && Field(f, {"values"}).is_array() &&
          f["values"].size() == 1) {
        return StringOf(f["values"][0]);
      }
    }
  }
  return "";
}

// A node's labels, taints or schedulability: what decides where daemon pods go.
bool PlacementInputsChanged(const Json& a, const Json& b) {
  return Field(a, {"metadata", "labels"}) != Field(b, {"metadata", "labels"}) ||
         Field(a, {"spec", "taints"}) != Field(b, {"spec", "taints"}) ||
         Field(a, {"spec", "unschedulable"}) != Field(b, {"spec", "unschedulable"});
}

bool OlderFirst(const Json& a, const Json& b) {
  return StringOf(Field(a, {"metadata", "creationTimestamp"})) <
         StringOf(Field(b, {"metadata", "creationTimestamp"}));
}

}  // namespace

DaemonSetController::DaemonSetController(client::ApiClient* api, const Clock* clock,
                                         client::Reflector* sets, client::Reflector* revisions,
                                         client::Reflector* pods, client::Reflector* nodes)
    : Controller(clock, "daemonset-controller"),
      api_(api),
      expectations_(clock),
      failures_(clock, std::chrono::seconds(1), std::chrono::minutes(15)),
      events_(api, clock, "daemonset-controller"),
      sets_(*sets),
      revisions_(*revisions),
      pods_(*pods),
      nodes_(*nodes) {
  auto enqueue = [this](const Json& set) { queue_.Add(KeyOf(set)); };
  sets_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& s) { enqueue(s); },
                         [this](const Json& s) { expectations_.Delete(KeyOf(s)); }});
  pods_.AddEventHandler(OwnedPodHandler(
      "DaemonSet", &expectations_, [this](const std::string& key) { queue_.Add(key); },
      [this](const Json& orphan) {
        for (const auto& key : OwnersSelecting(sets_, orphan)) queue_.Add(key);
      }));
  nodes_.AddEventHandler({[this](const Json&) { EnqueueAll(); },
                          [this](const Json& old_node, const Json& node) {
                            if (PlacementInputsChanged(old_node, node)) EnqueueAll();
                          },
                          [this](const Json&) { EnqueueAll(); }});
}

void DaemonSetController::EnqueueAll() {
  sets_.ForEach([this](const Json& set) { queue_.Add(KeyOf(set)); });
}

DaemonSetController::Placement DaemonSetController::PlacementOn(const NodeInfo& node,
                                                                const api::k8s::Pod& pod) {
  if (!pod.spec.node_name.empty() && pod.spec.node_name != node.name) return {};
  if (!api::k8s::scheduling::MatchesNodeSelectorAndAffinity(pod, node)) return {};
  Placement p{true, true};
  for (const auto& taint : node.taints) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    if (api::k8s::scheduling::ToleratesTaint(pod.spec.tolerations, taint)) continue;
    if (taint.effect == "NoExecute") return {};
    p.should_run = false;  // NoSchedule: no new pod, but one already there stays
  }
  return p;
}

Status DaemonSetController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto set = sets_.Get(ns, name);
  if (!set) {
    expectations_.Delete(key);
    return Ok();
  }
  // Being deleted: the garbage collector takes the pods.
  if (!Field(*set, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  auto selector = api::k8s::LabelSelector::FromJson(Field(*set, {"spec", "selector"}));
  if (!selector || selector->Empty()) {
    kLog.Warn("a daemon set without a usable selector is left alone", {{"set", key}});
    return Ok();
  }
  Json probe_json = {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", name}, {"namespace", ns}}},
                     {"spec", Field(*set, {"spec", "template", "spec"})}};
  AddDaemonTolerations(probe_json["spec"]);
  auto probe = api::k8s::DecodePod(probe_json);
  if (!probe) {
    kLog.Warn("a daemon set whose template does not decode is left alone",
              {{"set", key}, {"error", probe.error().message()}});
    return Ok();
  }

  auto revisions = OwnedRevisions(revisions_, *set);
  CAPSTAN_ASSIGN_OR_RETURN(
      auto current, EnsureCurrentRevision(api_, client::resources::kDaemonSets, *set, revisions));
  std::string hash = HashOf(current);
  CAPSTAN_ASSIGN_OR_RETURN(auto claimed, ClaimPods(api_, *set, *selector, pods_));

  std::map<std::string, NodeState> by_name;
  std::vector<Json> orphaned;
  nodes_.ForEach([&](const Json& node) {
    NodeInfo info = api::k8s::scheduling::NodeInfoFromJson(node);
    by_name[info.name] = {info.name, PlacementOn(info, *probe), {}, false};
  });
  // The revisions still in use: the current one and those pods run (<set>-<hash>).
  std::set<std::string> live = {StringOf(Field(current, {"metadata", "name"}))};
  for (auto& pod : claimed) {
    live.insert(name + "-" + HashOf(pod));
    auto it = by_name.find(TargetNode(pod));
    if (it == by_name.end()) {
      // Held by affinity to a node that is gone, it would wait forever; a bound pod on a
      // gone node is the pod garbage collector's.
      if (StringOf(Field(pod, {"spec", "nodeName"})).empty() &&
          Field(pod, {"metadata", "deletionTimestamp"}).is_null()) {
        orphaned.push_back(std::move(pod));
      }
      continue;
    }
    if (!Field(pod, {"metadata", "deletionTimestamp"}).is_null()) {
      it->second.terminating = true;
    } else {
      it->second.pods.push_back(std::move(pod));
    }
  }
  std::vector<NodeState> nodes;
  for (auto& [_, state] : by_name) {
    std::stable_sort(state.pods.begin(), state.pods.end(), OlderFirst);
    nodes.push_back(std::move(state));
  }

  if (expectations_.Satisfied(key)) {
    bool changed = false;
    CAPSTAN_TRY(Manage(*set, hash, nodes, orphaned, changed));
    std::string strategy = StringOf(Field(*set, {"spec", "updateStrategy", "type"}));
    // One kind of change per sync: the update step counts on what Manage left in place.
    if (!changed && strategy != "OnDelete") CAPSTAN_TRY(RollingUpdate(*set, hash, nodes));
  }
  CAPSTAN_TRY(
      TruncateHistory(api_, revisions, live, IntField(*set, {"spec", "revisionHistoryLimit"}, 10)));
  return UpdateStatus(*set, hash, nodes);
}

Status DaemonSetController::Manage(const Json& set, const std::string& hash,
                                   std::vector<NodeState>& nodes, const std::vector<Json>& orphaned,
                                   bool& changed) {
  bool surge = StringOf(Field(set, {"spec", "updateStrategy", "type"})) != "OnDelete" &&
               ScaledValue(Field(set, {"spec", "updateStrategy", "rollingUpdate", "maxSurge"}), 1,
                           true, 0) > 0;
  std::vector<std::string> create_on;
  std::vector<Json> to_delete = orphaned;
  std::string key = KeyOf(set);
  for (auto& node : nodes) {
    if (!node.placement.should_continue) {
      to_delete.insert(to_delete.end(), node.pods.begin(), node.pods.end());
      continue;
    }
    std::vector<Json> keep;
    bool failed = false;
    for (const auto& pod : node.pods) {
      std::string phase = StringOf(Field(pod, {"status", "phase"}));
      if (phase == "Failed" || phase == "Succeeded") {  // a daemon must keep running
        failed = true;
        to_delete.push_back(pod);
        if (phase == "Failed") {
          events_.Record(set, "Warning", "FailedDaemonPod",
                         "Found failed daemon pod " + KeyOf(pod) + " on node " + node.name +
                             ", will try to kill it");
        }
        continue;
      }
      // One pod per node (with maxSurge, one old and one new while they hand over).
      bool same_kind_kept = std::any_of(keep.begin(), keep.end(), [&](const Json& k) {
        return !surge || (HashOf(k) == hash) == (HashOf(pod) == hash);
      });
      (same_kind_kept ? to_delete : keep).push_back(pod);
    }
    // A finished pod is replaced once its deletion is seen and, after repeated failures,
    // a back-off (1 s doubling to 15 min) has passed, so a pod failing at once cannot spin.
    // Without maxSurge a pod still terminating holds the node: two never run together.
    bool held = node.terminating && !surge;
    if (keep.empty() && !failed && !held && node.placement.should_run) {
      if (auto wait = failures_.Remaining(key + "/" + node.name); wait.count() > 0) {
        queue_.AddAfter(key, wait);
      } else {
        create_on.push_back(node.name);
      }
    }
    if (failed) failures_.Failed(key + "/" + node.name);
    if (!keep.empty() && IsPodReady(keep.front())) failures_.Forget(key + "/" + node.name);
  }
  if (create_on.empty() && to_delete.empty()) return Ok();
  changed = true;
  return Act(set, hash, to_delete, create_on);
}

Status DaemonSetController::RollingUpdate(const Json& set, const std::string& hash,
                                          std::vector<NodeState>& nodes) {
  const Json& ru = Field(set, {"spec", "updateStrategy", "rollingUpdate"});
  int64_t desired = std::count_if(nodes.begin(), nodes.end(),
                                  [](const NodeState& n) { return n.placement.should_run; });
  int64_t max_surge = ScaledValue(Field(ru, {"maxSurge"}), desired, true, 0);
  int64_t max_unavailable = ScaledValue(Field(ru, {"maxUnavailable"}), desired, true, 1);
  if (max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
  int64_t min_ready =
      std::clamp<int64_t>(IntField(set, {"spec", "minReadySeconds"}, 0), 0, 365 * 86400);
  WallTime now = clock_->Now();
  auto available = [&](const Json& pod) { return IsPodAvailable(pod, min_ready, now); };

  std::vector<Json> to_delete;
  std::vector<std::string> create_on;
  if (max_surge > 0) {
    int64_t surging = 0;
    for (const auto& node : nodes) {
      bool has_new = false, has_old = false;
      for (const auto& pod : node.pods) (HashOf(pod) == hash ? has_new : has_old) = true;
      surging += has_new && has_old;
    }
    for (const auto& node : nodes) {
      if (!node.placement.should_run) continue;
      std::vector<Json> old_pods;
      const Json* new_pod = nullptr;
      for (const auto& pod : node.pods) {
        if (HashOf(pod) == hash) {
          new_pod = &pod;
        } else {
          old_pods.push_back(pod);
        }
      }
      if (old_pods.empty()) continue;
      if (new_pod) {
        if (available(*new_pod)) {
          to_delete.insert(to_delete.end(), old_pods.begin(), old_pods.end());
        } else if (IsPodReady(*new_pod)) {
          queue_.AddAfter(KeyOf(set), std::chrono::seconds(min_ready));  // available by then
        }
        continue;
      }
      // An old pod that is not available anyway is replaced at once, outside the budget.
      bool old_available = std::any_of(old_pods.begin(), old_pods.end(), available);
      if (!old_available || surging < max_surge) {
        create_on.push_back(node.name);
        surging += old_available;
      }
    }
  } else {
    int64_t unavailable = 0;
    std::vector<Json> replaceable;
    for (const auto& node : nodes) {
      if (!node.placement.should_run) continue;
      if (node.pods.empty()) {
        ++unavailable;
        continue;
      }
      const Json& pod = node.pods.front();
      bool up = available(pod);
      if (HashOf(pod) == hash) {
        unavailable += !up;
      } else if (!up) {
        to_delete.push_back(pod);  // old and down: nothing is lost by replacing it now
        ++unavailable;
      } else {
        replaceable.push_back(pod);
      }
    }
    for (const auto& pod : replaceable) {
      if (unavailable >= max_unavailable) break;
      to_delete.push_back(pod);
      ++unavailable;
    }
  }
  return Act(set, hash, to_delete, create_on);
}

Status DaemonSetController::Act(const Json& set, const std::string& hash,
                                const std::vector<Json>& to_delete,
                                const std::vector<std::string>& create_on) {
  if (to_delete.empty() && create_on.empty()) return Ok();
  std::string key = KeyOf(set);
  expectations_.Expect(key, static_cast<int>(create_on.size()), static_cast<int>(to_delete.size()));
  if (auto st = DeleteOwnedPods(api_, events_, expectations_, set, to_delete); !st) {
    for (size_t i = 0; i < create_on.size(); ++i) expectations_.CreationObserved(key);
    return st;
  }
  for (size_t i = 0; i < create_on.size(); ++i) {
    auto st = CreateOn(set, hash, create_on[i]);
    if (!st) {
      // The creations never tried are not awaited.
      for (size_t j = i; j < create_on.size(); ++j) expectations_.CreationObserved(key);
      return st;
    }
  }
  return Ok();
}

Status DaemonSetController::CreateOn(const Json& set, const std::string& hash,
                                     const std::string& node) {
  std::string ns = StringOf(Field(set, {"metadata", "namespace"}));
  Json pod = PodFromTemplate(Field(set, {"spec", "template"}), set,
                             StringOf(Field(set, {"metadata", "name"})) + "-");
  pod["metadata"]["labels"][kControllerRevisionHashLabel] = hash;
  Json& spec = pod["spec"];
  if (!spec.is_object()) spec = Json::object();
  AddDaemonTolerations(spec);
  // The scheduler binds it, held to this node (upstream replaces any required terms).
  spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = {
      {"nodeSelectorTerms",
       {{{"matchFields", {{{"key", "metadata.name"}, {"operator", "In"}, {"values", {node}}}}}}}}};
  return CreateOwnedPod(api_, events_, set, pod);
}

Status DaemonSetController::UpdateStatus(const Json& set, const std::string& hash,
                                         const std::vector<NodeState>& nodes) {
  int64_t min_ready =
      std::clamp<int64_t>(IntField(set, {"spec", "minReadySeconds"}, 0), 0, 365 * 86400);
  WallTime now = clock_->Now();
  int64_t desired = 0, scheduled = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  bool waiting_for_available = false;
  for (const auto& node : nodes) {
    if (!node.placement.should_run) {
      misscheduled += !node.pods.empty();
      continue;
    }
    ++desired;
    if (node.pods.empty()) continue;
    ++scheduled;
    const Json& pod = node.pods.front();
    if (IsPodReady(pod)) {
      ++ready;
      if (IsPodAvailable(pod, min_ready, now)) {
        ++available;
      } else {
        waiting_for_available = true;
      }
    }
    // The oldest pod is what counts (upstream's rule): during a surge that is the old one.
    updated += HashOf(pod) == hash;
  }
  if (waiting_for_available) queue_.AddAfter(KeyOf(set), std::chrono::seconds(min_ready));
  Json status = Field(set, {"status"}).is_object() ? Field(set, {"status"}) : Json::object();
  Json next = status;
  next["desiredNumberScheduled"] = desired;
  next["currentNumberScheduled"] = scheduled;
  next["numberMisscheduled"] = misscheduled;
  next["numberReady"] = ready;
  next["updatedNumberScheduled"] = updated;
  next["numberAvailable"] = available;
  next["numberUnavailable"] = desired - available;
  next["observedGeneration"] = IntField(set, {"metadata", "generation"}, 1);
  // Optional counts at zero are omitted on the wire, as upstream's omitempty leaves them.
  for (const char* k : {"updatedNumberScheduled", "numberAvailable", "numberUnavailable"}) {
    if (next[k] == 0) next.erase(k);
  }
  if (next == status) return Ok();
  return PutStatus(api_, client::resources::kDaemonSets, set, next);
}

}  // namespace capstan::control_plane::controllers

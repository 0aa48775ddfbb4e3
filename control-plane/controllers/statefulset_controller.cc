#include "control-plane/controllers/statefulset_controller.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "api/k8s/labels.h"
#include "common/log.h"
#include "control-plane/controllers/controller_history.h"
#include "control-plane/controllers/pod_claims.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {

namespace client = api::k8s::client;

struct StatefulSetController::Revisions {
  Json current;
  Json update;
  std::string current_name;
  std::string update_name;
};

namespace {

const log::Logger kLog("statefulset-controller");
constexpr const char* kPodNameLabel = "statefulset.kubernetes.io/pod-name";
constexpr const char* kPodIndexLabel = "apps.kubernetes.io/pod-index";

// The ordinal of a pod named <set>-<n>; nullopt for pods that are not the set's members.
std::optional<int64_t> OrdinalOf(const std::string& set, const Json& pod) {
  std::string name = StringOf(Field(pod, {"metadata", "name"}));
  if (name.size() <= set.size() + 1 || name.compare(0, set.size(), set) != 0 ||
      name[set.size()] != '-') {
    return std::nullopt;
  }
  const char* begin = name.data() + set.size() + 1;
  const char* end = name.data() + name.size();
  int64_t n = -1;
  auto [p, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || p != end || n < 0 || (*begin == '0' && end - begin > 1)) {
    return std::nullopt;
  }
  return n;
}

bool Terminating(const Json& pod) {
  return !Field(pod, {"metadata", "deletionTimestamp"}).is_null();
}

bool RunningAndReady(const Json& pod) {
  return StringOf(Field(pod, {"status", "phase"})) == "Running" && IsPodReady(pod) &&
         !Terminating(pod);
}

std::string RevisionOfPod(const Json& pod) {
  return StringOf(Field(pod, {"metadata", "labels", kControllerRevisionHashLabel}));
}

}  // namespace

StatefulSetController::StatefulSetController(client::ApiClient* api, const Clock* clock,
                                             client::Reflector* sets, client::Reflector* revisions,
                                             client::Reflector* pods)
    : Controller(clock, "statefulset-controller"),
      api_(api),
      events_(api, clock, "statefulset-controller"),
      sets_(*sets),
      revisions_(*revisions),
      pods_(*pods) {
  auto enqueue = [this](const Json& set) { queue_.Add(KeyOf(set)); };
  sets_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& s) { enqueue(s); }, {}});
  pods_.AddEventHandler(OwnedPodHandler(
      "StatefulSet", nullptr, [this](const std::string& key) { queue_.Add(key); },
      [this](const Json& orphan) {
        for (const auto& key : OwnersSelecting(sets_, orphan)) queue_.Add(key);
      }));
}

Status StatefulSetController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto set = sets_.Get(ns, name);
  if (!set || !Field(*set, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  auto selector = api::k8s::LabelSelector::FromJson(Field(*set, {"spec", "selector"}));
  if (!selector || selector->Empty()) {
    kLog.Warn("a stateful set without a usable selector is left alone", {{"set", key}});
    return Ok();
  }
  auto history = OwnedRevisions(revisions_, *set);
  Revisions revs;
  CAPSTAN_ASSIGN_OR_RETURN(
      revs.update, EnsureCurrentRevision(api_, client::resources::kStatefulSets, *set, history));
  revs.update_name = StringOf(Field(revs.update, {"metadata", "name"}));
  revs.current = revs.update;
  std::string recorded = StringOf(Field(*set, {"status", "currentRevision"}));
  for (const auto& r : history) {
    if (StringOf(Field(r, {"metadata", "name"})) == recorded) revs.current = r;
  }
  revs.current_name = StringOf(Field(revs.current, {"metadata", "name"}));

  CAPSTAN_ASSIGN_OR_RETURN(auto claimed, ClaimPods(api_, *set, *selector, pods_));
  std::vector<Json> pods;
  std::set<std::string> live = {revs.current_name, revs.update_name};
  for (auto& pod : claimed) {
    if (!OrdinalOf(name, pod)) continue;  // matches the selector but is not a member
    live.insert(RevisionOfPod(pod));
    pods.push_back(std::move(pod));
  }
  // The status is written even when a step failed, so observedGeneration and the counts
  // stay true; the first error is what the sync returns.
  Status reconciled = Reconcile(*set, revs, pods);
  if (reconciled) {
    reconciled =
        TruncateHistory(api_, history, live, IntField(*set, {"spec", "revisionHistoryLimit"}, 10));
  }
  Status written = UpdateStatus(*set, revs, pods);
  return reconciled ? written : reconciled;
}

Status StatefulSetController::Reconcile(const Json& set, const Revisions& revs,
                                        std::vector<Json>& pods) {
  std::string name = StringOf(Field(set, {"metadata", "name"}));
  const Json& spec = Field(set, {"spec"});
  int64_t replicas = std::max<int64_t>(IntField(spec, {"replicas"}, 1), 0);
  int64_t start = std::max<int64_t>(IntField(spec, {"ordinals", "start"}, 0), 0);
  bool monotonic = StringOf(Field(spec, {"podManagementPolicy"})) != "Parallel";

  std::map<int64_t, const Json*> members;
  std::vector<std::pair<int64_t, const Json*>> condemned;
  for (const auto& pod : pods) {
    int64_t ordinal = *OrdinalOf(name, pod);
    if (ordinal >= start && ordinal < start + replicas) {
      members[ordinal] = &pod;
    } else {
      condemned.emplace_back(ordinal, &pod);
    }
  }
  std::sort(condemned.begin(), condemned.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  // Every ordinal in range: made, failed ones replaced; an ordered set waits for each.
  for (int64_t ordinal = start; ordinal < start + replicas; ++ordinal) {
    auto it = members.find(ordinal);
    if (it == members.end()) {
      CAPSTAN_TRY(CreatePod(set, revs, ordinal));
      if (monotonic) return Ok();
      continue;
    }
    const Json& pod = *it->second;
    std::string phase = StringOf(Field(pod, {"status", "phase"}));
    if ((phase == "Failed" || phase == "Succeeded") && !Terminating(pod)) {
      CAPSTAN_TRY(DeletePod(set, pod));  // made again once its deletion is seen
      if (monotonic) return Ok();
      continue;
    }
    if (monotonic && !RunningAndReady(pod)) return Ok();
  }
  // Surplus ordinals go from the highest; an ordered set removes one at a time. As
  // upstream, an unhealthy one waits unless it is the lowest unhealthy pod (every pod in
  // range is healthy by now), so a crash-looping pod never blocks a scale-down.
  std::optional<int64_t> first_unhealthy;
  for (const auto& [ordinal, pod] : condemned) {
    if (!RunningAndReady(*pod)) first_unhealthy = ordinal;  // descending: the last is lowest
  }
  for (const auto& [ordinal, pod_ptr] : condemned) {
    const Json& pod = *pod_ptr;
    if (Terminating(pod)) {
      if (monotonic) return Ok();
      continue;
    }
    if (monotonic && !RunningAndReady(pod) && first_unhealthy != ordinal) return Ok();
    CAPSTAN_TRY(DeletePod(set, pod));
    if (monotonic) return Ok();
  }
  if (StringOf(Field(spec, {"updateStrategy", "type"})) == "OnDelete") return Ok();
  // RollingUpdate: from the highest ordinal down to the partition, one pod at a time.
  int64_t partition = std::clamp<int64_t>(
      IntField(spec, {"updateStrategy", "rollingUpdate", "partition"}, 0), 0, replicas);
  for (int64_t ordinal = start + replicas - 1; ordinal >= start + partition; --ordinal) {
    auto it = members.find(ordinal);
    if (it == members.end()) return Ok();
    const Json& pod = *it->second;
    if (RevisionOfPod(pod) != revs.update_name && !Terminating(pod)) {
      return DeletePod(set, pod);  // made again at the update revision
    }
    if (!RunningAndReady(pod)) return Ok();
  }
  return Ok();
}

Status StatefulSetController::CreatePod(const Json& set, const Revisions& revs, int64_t ordinal) {
  std::string ns = StringOf(Field(set, {"metadata", "namespace"}));
  std::string set_name = StringOf(Field(set, {"metadata", "name"}));
  std::string pod_name = set_name + "-" + std::to_string(ordinal);
  const Json& spec = Field(set, {"spec"});
  // Below the partition a pod keeps the current revision while an update rolls.
  int64_t partition = IntField(spec, {"updateStrategy", "rollingUpdate", "partition"}, 0);
  bool at_current =
      StringOf(Field(spec, {"updateStrategy", "type"})) != "OnDelete" &&
      ordinal - std::max<int64_t>(IntField(spec, {"ordinals", "start"}, 0), 0) < partition;
  const Json& revision = at_current ? revs.current : revs.update;
  Json template_ = TemplateOf(revision);
  if (!template_.is_object()) template_ = Field(spec, {"template"});

  Json pod = PodFromTemplate(template_, set, "");
  pod["metadata"].erase("generateName");
  pod["metadata"]["name"] = pod_name;
  Json& labels = pod["metadata"]["labels"];
  labels[kPodNameLabel] = pod_name;
  labels[kPodIndexLabel] = std::to_string(ordinal);
  labels[kControllerRevisionHashLabel] = StringOf(Field(revision, {"metadata", "name"}));
  Json& pod_spec = pod["spec"];
  if (!pod_spec.is_object()) pod_spec = Json::object();
  pod_spec["hostname"] = pod_name;
  if (std::string service = StringOf(Field(spec, {"serviceName"})); !service.empty()) {
    pod_spec["subdomain"] = service;
  }

  // Storage first: each claim template gives the pod a claim of its own, kept across
  // restarts and rescheduling.
  const Json& claim_templates = Field(spec, {"volumeClaimTemplates"});
  if (claim_templates.is_array()) {
    Json claim_labels = Field(spec, {"selector", "matchLabels"});
    if (!claim_labels.is_object()) claim_labels = Json::object();
    for (const auto& t : claim_templates) {
      std::string volume = StringOf(Field(t, {"metadata", "name"}));
      if (volume.empty()) continue;
      std::string claim = volume + "-" + pod_name;
      // The template's labels, then the selector's, which win (upstream's order).
      Json labels = Field(t, {"metadata", "labels"}).is_object() ? Field(t, {"metadata", "labels"})
                                                                 : Json::object();
      labels.update(claim_labels);
      Json meta = {{"name", claim}, {"namespace", ns}, {"labels", labels}};
      if (Field(t, {"metadata", "annotations"}).is_object()) {
        meta["annotations"] = Field(t, {"metadata", "annotations"});
      }
      Json pvc = {{"apiVersion", "v1"},
                  {"kind", "PersistentVolumeClaim"},
                  {"metadata", meta},
                  {"spec", Field(t, {"spec"})}};
      auto made = api_->Create(client::resources::kPersistentVolumeClaims, ns, pvc);
      if (!made && made.error().code() != Code::kAlreadyExists) {
        events_.Record(set, "Warning", "FailedCreate",
                       fmt::format("create Claim {} for Pod {} in StatefulSet {} failed error: {}",
                                   claim, pod_name, set_name, made.error().message()));
        return Fail(made.error());
      }
      if (made) {
        events_.Record(set, "Normal", "SuccessfulCreate",
                       fmt::format("create Claim {} Pod {} in StatefulSet {} success", claim,
                                   pod_name, set_name));
      }
      Json& volumes = pod_spec["volumes"];
      if (!volumes.is_array()) volumes = Json::array();
      Json source = {{"name", volume}, {"persistentVolumeClaim", {{"claimName", claim}}}};
      auto same = std::find_if(volumes.begin(), volumes.end(),
                               [&](const Json& v) { return v.value("name", "") == volume; });
      if (same != volumes.end()) {
        *same = source;
      } else {
        volumes.push_back(source);
      }
    }
  }

  auto made = api_->Create(client::resources::kPods, ns, pod);
  if (!made) {
    if (made.error().code() == Code::kAlreadyExists) return Ok();  // the cache lags
    events_.Record(set, "Warning", "FailedCreate",
                   fmt::format("create Pod {} in StatefulSet {} failed error: {}", pod_name,
                               set_name, made.error().message()));
    return Fail(made.error());
  }
  events_.Record(set, "Normal", "SuccessfulCreate",
                 fmt::format("create Pod {} in StatefulSet {} successful", pod_name, set_name));
  return Ok();
}

Status StatefulSetController::DeletePod(const Json& set, const Json& pod) {
  std::string pod_name = StringOf(Field(pod, {"metadata", "name"}));
  std::string set_name = StringOf(Field(set, {"metadata", "name"}));
  auto st = api_->Delete(client::resources::kPods, StringOf(Field(pod, {"metadata", "namespace"})),
                         pod_name);
  if (!st && st.error().code() != Code::kNotFound) {
    events_.Record(set, "Warning", "FailedDelete",
                   fmt::format("delete Pod {} in StatefulSet {} failed error: {}", pod_name,
                               set_name, st.error().message()));
    return st;
  }
  events_.Record(set, "Normal", "SuccessfulDelete",
                 fmt::format("delete Pod {} in StatefulSet {} successful", pod_name, set_name));
  return Ok();
}

Status StatefulSetController::UpdateStatus(const Json& set, const Revisions& revs,
                                           const std::vector<Json>& pods) {
  int64_t min_ready =
      std::clamp<int64_t>(IntField(set, {"spec", "minReadySeconds"}, 0), 0, 365 * 86400);
  WallTime now = clock_->Now();
  int64_t replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
  bool waiting_for_available = false;
  for (const auto& pod : pods) {
    if (Terminating(pod)) continue;
    ++replicas;
    if (RunningAndReady(pod)) {
      ++ready;
      if (IsPodAvailable(pod, min_ready, now)) {
        ++available;
      } else {
        waiting_for_available = true;
      }
    }
    current += RevisionOfPod(pod) == revs.current_name;
    updated += RevisionOfPod(pod) == revs.update_name;
  }
  if (waiting_for_available) queue_.AddAfter(KeyOf(set), std::chrono::seconds(min_ready));
  Json status = Field(set, {"status"}).is_object() ? Field(set, {"status"}) : Json::object();
  Json next = status;
  std::string current_name = revs.current_name;
  int64_t spec_replicas = std::max<int64_t>(IntField(set, {"spec", "replicas"}, 1), 0);
  // The rollout is done once every pod runs the update revision and is ready.
  if (StringOf(Field(set, {"spec", "updateStrategy", "type"})) != "OnDelete" &&
      updated == spec_replicas && ready == spec_replicas && replicas == spec_replicas) {
    current_name = revs.update_name;
    current = updated;
  }
  next["replicas"] = replicas;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["currentReplicas"] = current;
  next["updatedReplicas"] = updated;
  next["currentRevision"] = current_name;
  next["updateRevision"] = revs.update_name;
  next["observedGeneration"] = IntField(set, {"metadata", "generation"}, 1);
  for (const char* k :
       {"readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"}) {
    if (next[k] == 0) next.erase(k);
  }
  if (next == status) return Ok();
  return PutStatus(api_, client::resources::kStatefulSets, set, next);
}

}  // namespace capstan::control_plane::controllers

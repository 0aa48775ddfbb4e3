#include "control-plane/controllers/replicaset_controller.h"

#include <fmt/format.h>

#include "api/k8s/labels.h"
#include "common/log.h"
#include "control-plane/controllers/pod_claims.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using api::k8s::LabelSelector;
const log::Logger kLog("replicaset-controller");

// A ReplicationController's selector map (values that are not strings are skipped).
api::k8s::StringMap StringMapOf(const Json& selector) {
  api::k8s::StringMap out;
  if (!selector.is_object()) return out;
  for (const auto& [k, v] : selector.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// Upstream's bound on creations or deletions in one sync.
constexpr int64_t kBurstReplicas = 500;

}  // namespace

ReplicaSetController::ReplicaSetController(client::ApiClient* api, const Clock* clock, Kind kind,
                                           client::Reflector* sets, client::Reflector* pods)
    : Controller(clock, kind == Kind::kReplicaSet ? "replicaset-controller"
                                                  : "replicationcontroller-controller"),
      api_(api),
      kind_(kind),
      resource_(kind == Kind::kReplicaSet ? client::resources::kReplicaSets
                                          : client::resources::kReplicationControllers),
      kind_name_(kind == Kind::kReplicaSet ? "ReplicaSet" : "ReplicationController"),
      expectations_(clock),
      events_(api, clock,
              kind == Kind::kReplicaSet ? "replicaset-controller" : "replication-controller"),
      sets_(*sets),
      pods_(*pods) {
  auto enqueue = [this](const Json& set) { queue_.Add(KeyOf(set)); };
  sets_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& s) { enqueue(s); },
                         [this](const Json& s) {
                           expectations_.Delete(KeyOf(s));
                           queue_.Add(KeyOf(s));
                         }});
  pods_.AddEventHandler(OwnedPodHandler(
      kind_name_, &expectations_, [this](const std::string& key) { queue_.Add(key); },
      [this](const Json& orphan) { OnOrphanPod(orphan); }));
}

// Every set whose selector matches the orphan may adopt it.
void ReplicaSetController::OnOrphanPod(const Json& pod) {
  std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
  sets_.ForEach([&](const Json& set) {
    if (Field(set, {"metadata", "namespace"}) != ns) return;
    auto parsed = SelectorOf(set);
    if (parsed && !parsed->Empty() && parsed->MatchesObject(pod)) queue_.Add(KeyOf(set));
  });
}

Result<LabelSelector> ReplicaSetController::SelectorOf(const Json& set) const {
  const Json& selector = Field(set, {"spec", "selector"});
  if (kind_ == Kind::kReplicaSet) return LabelSelector::FromJson(selector);
  return LabelSelector::FromSet(StringMapOf(selector));
}

Status ReplicaSetController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto set = sets_.Get(ns, name);
  if (!set) {
    expectations_.Delete(key);
    return Ok();
  }
  const Json& spec = Field(*set, {"spec"});
  Result<LabelSelector> selector = SelectorOf(*set);
  if (!selector || selector->Empty()) {
    kLog.Warn("a set without a usable selector is left alone", {{"set", key}});
    return Ok();
  }
  bool deleting = !Field(*set, {"metadata", "deletionTimestamp"}).is_null();
  CAPSTAN_ASSIGN_OR_RETURN(auto claimed, ClaimPods(api_, *set, *selector, pods_));
  std::vector<Json> owned;
  for (auto& pod : claimed) {
    if (IsPodActive(pod)) owned.push_back(std::move(pod));
  }

  if (expectations_.Satisfied(key) && !deleting) {
    int64_t replicas = IntField(spec, {"replicas"}, 1);
    CAPSTAN_TRY(ManageReplicas(*set, owned, replicas));
  }
  return UpdateStatus(*set, owned);
}

Status ReplicaSetController::ManageReplicas(const Json& set, std::vector<Json>& pods,
                                            int64_t replicas) {
  std::string key = KeyOf(set);
  std::string ns = Field(set, {"metadata", "namespace"}).get<std::string>();
  std::string name = Field(set, {"metadata", "name"}).get<std::string>();
  int64_t diff = static_cast<int64_t>(pods.size()) - replicas;
  if (diff < 0) {
    int64_t want = std::min(-diff, kBurstReplicas);
    expectations_.Expect(key, static_cast<int>(want), 0);
    Json pod = PodFromTemplate(Field(set, {"spec", "template"}), set, name + "-");
    // Slow start: 1, then 2, 4, ... while every creation of a batch succeeds.
    int64_t created = 0;
    std::optional<Error> failure;
    for (int64_t batch = 1; created < want && !failure; batch *= 2) {
      int64_t n = std::min(batch, want - created);
      for (int64_t i = 0; i < n; ++i) {
        auto made = api_->Create(client::resources::kPods, ns, pod);
        if (!made) {
          failure = made.error();
          expectations_.CreationObserved(key);
          continue;
        }
        events_.Record(set, "Normal", "SuccessfulCreate",
                       "Created pod: " + Field(*made, {"metadata", "name"}).get<std::string>());
      }
      created += n;
    }
    // Creations never tried are not awaited.
    for (int64_t i = created; i < want; ++i) expectations_.CreationObserved(key);
    if (failure) {
      events_.Record(set, "Warning", "FailedCreate", "Error creating: " + failure->message());
      return Fail(*failure);
    }
    return Ok();
  }
  if (diff > 0) {
    int64_t n = std::min(diff, kBurstReplicas);
    SortForDeletion(pods);
    expectations_.Expect(key, 0, static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i) {
      std::string pod_name = Field(pods[i], {"metadata", "name"}).get<std::string>();
      auto st = api_->Delete(client::resources::kPods, ns, pod_name);
      if (!st) {
        expectations_.DeletionObserved(key);
        if (st.error().code() == Code::kNotFound) continue;
        // The deletions never tried are not awaited either.
        for (int64_t j = i + 1; j < n; ++j) expectations_.DeletionObserved(key);
        events_.Record(set, "Warning", "FailedDelete", "Error deleting: " + st.error().message());
        return st;
      }
      events_.Record(set, "Normal", "SuccessfulDelete", "Deleted pod: " + pod_name);
    }
    pods.erase(pods.begin(), pods.begin() + n);
  }
  return Ok();
}

Status ReplicaSetController::UpdateStatus(const Json& set, const std::vector<Json>& pods) {
  int64_t min_ready =
      std::clamp<int64_t>(IntField(set, {"spec", "minReadySeconds"}, 0), 0, 365 * 86400);
  WallTime now = clock_->Now();
  Json template_labels = Field(set, {"spec", "template", "metadata", "labels"});
  int64_t fully_labeled = 0, ready = 0, available = 0;
  bool waiting_for_available = false;
  for (const auto& pod : pods) {
    const Json& labels = Field(pod, {"metadata", "labels"});
    bool all = true;
    if (template_labels.is_object()) {
      for (const auto& [k, v] : template_labels.items()) {
        all = all && labels.is_object() && labels.contains(k) && labels[k] == v;
      }
    }
    fully_labeled += all;
    if (IsPodReady(pod)) {
      ++ready;
      if (IsPodAvailable(pod, min_ready, now)) {
        ++available;
      } else {
        waiting_for_available = true;
      }
    }
  }
  if (waiting_for_available) {
    queue_.AddAfter(KeyOf(set), std::chrono::seconds(min_ready));
  }
  Json status = Field(set, {"status"}).is_object() ? Field(set, {"status"}) : Json::object();
  Json next = status;
  next["replicas"] = static_cast<int64_t>(pods.size());
  next["fullyLabeledReplicas"] = fully_labeled;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["observedGeneration"] = IntField(set, {"metadata", "generation"}, 1);
  // Zero counts are omitted on the wire, as upstream's omitempty leaves them out.
  for (const char* k : {"fullyLabeledReplicas", "readyReplicas", "availableReplicas"}) {
    if (next[k] == 0) next.erase(k);
  }
  if (next == status) return Ok();
  return PutStatus(api_, resource_, set, next);
}

}  // namespace capstan::control_plane::controllers

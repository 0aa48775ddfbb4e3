#include "control-plane/controllers/deployment_controller.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/k8s/labels.h"
#include "api/k8s/meta.h"
#include "common/log.h"
#include "control-plane/controllers/deployment_util.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("deployment-controller");

std::string NameOf(const Json& o) { return StringOf(Field(o, {"metadata", "name"})); }
std::string NamespaceOf(const Json& o) { return StringOf(Field(o, {"metadata", "namespace"})); }
int64_t SpecReplicas(const Json& o) { return IntField(o, {"spec", "replicas"}, 1); }
int64_t StatusInt(const Json& o, const char* field) { return IntField(o, {"status", field}, 0); }

int64_t Sum(const std::vector<Json>& sets, const std::function<int64_t(const Json&)>& f) {
  int64_t total = 0;
  for (const auto& s : sets) total += f(s);
  return total;
}

const Json* Condition(const Json& d, const std::string& type) {
  const Json& conditions = Field(d, {"status", "conditions"});
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

}  // namespace

DeploymentController::DeploymentController(client::ApiClient* api, const Clock* clock,
                                           client::Reflector* deployments,
                                           client::Reflector* replica_sets, client::Reflector* pods)
    : Controller(clock, "deployment-controller"),
      api_(api),
      events_(api, clock, "deployment-controller"),
      deployments_(*deployments),
      sets_(*replica_sets),
      pods_(*pods) {
  auto enqueue = [this](const Json& d) { queue_.Add(NamespaceOf(d) + "/" + NameOf(d)); };
  deployments_.AddEventHandler(
      {enqueue, [enqueue](const Json&, const Json& d) { enqueue(d); }, enqueue});
  auto owner = [this](const Json& rs) { EnqueueOwnerOf(rs); };
  sets_.AddEventHandler({owner, [owner](const Json&, const Json& rs) { owner(rs); }, owner});
  // Recreate waits for the old pods to be gone: their deletion wakes the Deployment.
  pods_.AddEventHandler({{}, {}, [this](const Json& pod) {
                           auto ref = ControllerRefOf(pod);
                           if (!ref || ref->kind != "ReplicaSet") return;
                           if (auto rs = sets_.Get(NamespaceOf(pod), ref->name)) {
                             EnqueueOwnerOf(*rs);
                           }
                         }});
}

void DeploymentController::EnqueueOwnerOf(const Json& rs) {
  auto ref = ControllerRefOf(rs);
  if (ref && ref->kind == "Deployment") queue_.Add(NamespaceOf(rs) + "/" + ref->name);
}

Status DeploymentController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto d = deployments_.Get(ns, name);
  if (!d) return Ok();
  auto selector = api::k8s::LabelSelector::FromJson(Field(*d, {"spec", "selector"}));
  if (!selector || selector->Empty()) {
    events_.Record(*d, "Warning", "SelectingAll",
                   "This deployment is selecting all pods. A non-empty selector is required.");
    return Ok();
  }
  std::string uid = StringOf(Field(*d, {"metadata", "uid"}));
  std::vector<Json> sets;
  sets_.ForEach([&](const Json& rs) {
    auto ref = ControllerRefOf(rs);
    if (NamespaceOf(rs) == ns && ref && ref->uid == uid) sets.push_back(rs);
  });
  std::sort(sets.begin(), sets.end(), [](const Json& a, const Json& b) {
    return StringOf(Field(a, {"metadata", "creationTimestamp"})) <
           StringOf(Field(b, {"metadata", "creationTimestamp"}));
  });
  if (!Field(*d, {"metadata", "deletionTimestamp"}).is_null()) {
    return UpdateStatus(*d, nullptr, sets);
  }
  const Json& template_ = Field(*d, {"spec", "template"});
  const Json* existing_new = nullptr;
  std::vector<Json> old_sets;
  for (const auto& rs : sets) {
    if (!existing_new && EqualIgnoringHash(Field(rs, {"spec", "template"}), template_)) {
      existing_new = &rs;
    } else {
      old_sets.push_back(rs);
    }
  }

  if (Field(*d, {"spec", "paused"}) == true) {
    CAPSTAN_TRY(ScaleForPause(*d, sets));
    return UpdateStatus(*d, existing_new, sets);
  }
  // A scale while nothing rolls out: the sets follow, and no new set is made.
  if (existing_new) {
    bool scaling = false;
    for (const auto& rs : sets) {
      const Json& desired = Field(rs, {"metadata", "annotations", kDesiredReplicasAnnotation});
      if (SpecReplicas(rs) > 0 && desired.is_string() &&
          desired.get<std::string>() != std::to_string(SpecReplicas(*d))) {
        scaling = true;
      }
    }
    if (scaling && Sum(old_sets, SpecReplicas) == 0) {
      Json target = *existing_new;
      CAPSTAN_TRY(Scale(*d, target, SpecReplicas(*d)));
      return UpdateStatus(*d, existing_new, sets);
    }
  }
  if (StringOf(Field(*d, {"spec", "strategy", "type"})) == "Recreate") {
    return RolloutRecreate(*d, old_sets, true);
  }
  // RollingUpdate: a new set starts with what maxSurge allows.
  Json new_rs;
  if (existing_new) {
    CAPSTAN_ASSIGN_OR_RETURN(new_rs, NewReplicaSet(*d, old_sets, false));
  } else {
    CAPSTAN_ASSIGN_OR_RETURN(new_rs, NewReplicaSet(*d, old_sets, true));
  }
  return RolloutRolling(*d, new_rs, old_sets);
}

Result<Json> DeploymentController::NewReplicaSet(const Json& d, const std::vector<Json>& old_sets,
                                                 bool create) {
  std::string ns = NamespaceOf(d);
  int64_t max_old = 0;
  for (const auto& rs : old_sets) max_old = std::max(max_old, RevisionOf(rs));
  std::string revision = std::to_string(max_old + 1);
  auto [surge, unavailable] = ResolveSurgeAndUnavailable(d);
  int64_t replicas = SpecReplicas(d);
  const Json& template_ = Field(d, {"spec", "template"});

  Json rs;
  bool found = false;
  sets_.ForEach([&](const Json& s) {
    auto ref = ControllerRefOf(s);
    if (!found && NamespaceOf(s) == ns && ref &&
        ref->uid == StringOf(Field(d, {"metadata", "uid"})) &&
        EqualIgnoringHash(Field(s, {"spec", "template"}), template_)) {
      rs = s;
      found = true;
    }
  });
  if (found) {
    // Bring its annotations up to date: the newest revision (an undo moves an old set to
    // the top), the Deployment's own annotations, the replica bookkeeping.
    Json annotations = Field(rs, {"metadata", "annotations"}).is_object()
                           ? Field(rs, {"metadata", "annotations"})
                           : Json::object();
    Json wanted = annotations;
    const Json copied = AnnotationsToCopy(d);  // bound first: items() of a temporary dangles
    for (const auto& [k, v] : copied.items()) wanted[k] = v;
    if (RevisionOf(rs) < max_old + 1) {
      if (RevisionOf(rs) > 0) {
        // The revisions this template had before: kubectl shows them in rollout history.
        std::string history = StringOf(annotations.value(kRevisionHistoryAnnotation, Json()));
        wanted[kRevisionHistoryAnnotation] = history.empty()
                                                 ? std::to_string(RevisionOf(rs))
                                                 : history + "," + std::to_string(RevisionOf(rs));
      }
      wanted[kRevisionAnnotation] = revision;
    }
    if (wanted != annotations) {
      Json updated = rs;
      updated["metadata"]["annotations"] = wanted;
      CAPSTAN_ASSIGN_OR_RETURN(
          rs, api_->Update(client::resources::kReplicaSets, ns, NameOf(rs), updated, ""));
    }
  } else if (!create) {
    return Json();
  } else {
    int64_t collisions = IntField(d, {"status", "collisionCount"}, 0);
    std::string hash = PodTemplateHash(template_, collisions);
    Json new_template = template_;
    new_template["metadata"]["labels"][kPodTemplateHashLabel] = hash;
    Json selector = Field(d, {"spec", "selector"});
    selector["matchLabels"][kPodTemplateHashLabel] = hash;
    Json labels = Field(template_, {"metadata", "labels"}).is_object()
                      ? Field(template_, {"metadata", "labels"})
                      : Json::object();
    labels[kPodTemplateHashLabel] = hash;
    Json annotations = AnnotationsToCopy(d);
    annotations[kRevisionAnnotation] = revision;
    annotations[kDesiredReplicasAnnotation] = std::to_string(replicas);
    annotations[kMaxReplicasAnnotation] = std::to_string(replicas + surge);
    // What RollingUpdate may start at once: up to maxSurge above the wanted count.
    int64_t current = Sum(old_sets, SpecReplicas);
    int64_t initial = std::clamp<int64_t>(replicas + surge - current, 0, replicas);
    if (StringOf(Field(d, {"spec", "strategy", "type"})) == "Recreate") initial = replicas;
    Json body = {{"apiVersion", "apps/v1"},
                 {"kind", "ReplicaSet"},
                 {"metadata",
                  {{"name", NameOf(d) + "-" + hash},
                   {"namespace", ns},
                   {"labels", labels},
                   {"annotations", annotations},
                   {"ownerReferences", Json::array({ControllerRefTo(d)})}}},
                 {"spec",
                  {{"replicas", initial},
                   {"minReadySeconds", IntField(d, {"spec", "minReadySeconds"}, 0)},
                   {"selector", selector},
                   {"template", new_template}}}};
    auto created = api_->Create(client::resources::kReplicaSets, ns, body);
    if (!created && created.error().code() == Code::kAlreadyExists) {
      // A set of that name with another template: count the collision, try another name.
      auto other = api_->Get(client::resources::kReplicaSets, ns, NameOf(body));
      if (other && EqualIgnoringHash(Field(*other, {"spec", "template"}), template_)) {
        return *other;
      }
      Json status_patch = {{"status", {{"collisionCount", collisions + 1}}}};
      (void)api_->Patch(client::resources::kDeployments, ns, NameOf(d), client::PatchType::kMerge,
                        status_patch, "status");
      return Fail(Code::kAlreadyExists, "replica set {} exists with another template",
                  NameOf(body));
    }
    if (!created) return Fail(created.error());
    rs = *created;
    if (initial > 0) {
      events_.Record(d, "Normal", "ScalingReplicaSet",
                     fmt::format("Scaled up replica set {} to {}", NameOf(rs), initial));
    }
  }
  // The Deployment carries its newest revision.
  if (StringOf(Field(d, {"metadata", "annotations", kRevisionAnnotation})) !=
      StringOf(Field(rs, {"metadata", "annotations", kRevisionAnnotation}))) {
    Json patch = {
        {"metadata",
         {{"annotations",
           {{kRevisionAnnotation, Field(rs, {"metadata", "annotations", kRevisionAnnotation})}}}}}};
    CAPSTAN_TRY_WRAP(api_->Patch(client::resources::kDeployments, ns, NameOf(d),
                                 client::PatchType::kMerge, patch, ""),
                     "annotating the deployment's revision");
  }
  return rs;
}

Status DeploymentController::Scale(const Json& d, Json& rs, int64_t replicas) {
  auto [surge, unavailable] = ResolveSurgeAndUnavailable(d);
  int64_t from = SpecReplicas(rs);
  std::string desired = std::to_string(SpecReplicas(d));
  std::string max = std::to_string(SpecReplicas(d) + surge);
  const Json& annotations = Field(rs, {"metadata", "annotations"});
  bool annotated = StringOf(Field(annotations, {kDesiredReplicasAnnotation})) == desired &&
                   StringOf(Field(annotations, {kMaxReplicasAnnotation})) == max;
  if (from == replicas && annotated) return Ok();
  Json updated = rs;
  updated["spec"]["replicas"] = replicas;
  updated["metadata"]["annotations"][kDesiredReplicasAnnotation] = desired;
  updated["metadata"]["annotations"][kMaxReplicasAnnotation] = max;
  auto done =
      api_->Update(client::resources::kReplicaSets, NamespaceOf(rs), NameOf(rs), updated, "");
  if (!done) return Fail(done.error());
  rs = *done;  // a second change in this sync starts from the stored version
  if (from != replicas) {
    events_.Record(d, "Normal", "ScalingReplicaSet",
                   fmt::format("Scaled {} replica set {} to {} from {}",
                               replicas > from ? "up" : "down", NameOf(rs), replicas, from));
  }
  return Ok();
}

Status DeploymentController::RolloutRolling(const Json& d, Json new_rs,
                                            const std::vector<Json>& old_sets) {
  int64_t replicas = SpecReplicas(d);
  auto [surge, max_unavailable] = ResolveSurgeAndUnavailable(d);
  // Scale the new set up as far as maxSurge allows (or down to the wanted count).
  int64_t new_count = SpecReplicas(new_rs);
  if (new_count > replicas) {
    CAPSTAN_TRY(Scale(d, new_rs, replicas));
  } else if (new_count < replicas) {
    int64_t total = Sum(old_sets, SpecReplicas) + new_count;
    int64_t room = replicas + surge - total;
    if (room > 0) CAPSTAN_TRY(Scale(d, new_rs, new_count + std::min(room, replicas - new_count)));
  } else {
    CAPSTAN_TRY(Scale(d, new_rs, replicas));  // (annotations only)
  }

  std::vector<Json> all = old_sets;
  all.push_back(new_rs);
  // Scale old sets down as far as availability allows.
  int64_t old_count = Sum(old_sets, SpecReplicas);
  if (old_count > 0) {
    int64_t all_count = Sum(all, SpecReplicas);
    int64_t min_available = replicas - max_unavailable;
    int64_t new_unavailable = SpecReplicas(new_rs) - StatusInt(new_rs, "availableReplicas");
    int64_t max_scale_down = all_count - min_available - new_unavailable;
    if (max_scale_down > 0) {
      std::vector<Json> olds = old_sets;
      std::sort(olds.begin(), olds.end(),
                [](const Json& a, const Json& b) { return RevisionOf(a) < RevisionOf(b); });
      // First the old pods that are not available anyway.
      int64_t budget = max_scale_down;
      for (auto& rs : olds) {
        if (budget <= 0) break;
        int64_t unhealthy = SpecReplicas(rs) - StatusInt(rs, "availableReplicas");
        if (unhealthy <= 0) continue;
        int64_t down = std::min(budget, unhealthy);
        CAPSTAN_TRY(Scale(d, rs, SpecReplicas(rs) - down));
        budget -= down;
      }
      // Then available ones, while enough stay available.
      int64_t available =
          Sum(all, [](const Json& rs) { return StatusInt(rs, "availableReplicas"); });
      int64_t can_remove = std::min(budget, available - min_available);
      for (auto& rs : olds) {
        if (can_remove <= 0) break;
        int64_t down = std::min(can_remove, SpecReplicas(rs));
        if (down <= 0) continue;
        CAPSTAN_TRY(Scale(d, rs, SpecReplicas(rs) - down));
        can_remove -= down;
      }
    }
  }
  if (StatusInt(new_rs, "availableReplicas") == replicas && old_count == 0) {
    CAPSTAN_TRY(CleanupOldSets(d, old_sets));
  }
  return UpdateStatus(d, &new_rs, all);
}

Status DeploymentController::RolloutRecreate(const Json& d, const std::vector<Json>& old_sets,
                                             bool create) {
  for (Json rs : old_sets) {
    if (SpecReplicas(rs) > 0) CAPSTAN_TRY(Scale(d, rs, 0));
  }
  // New pods start only once no old pod runs (terminating ones included).
  std::set<std::string> old_uids;
  for (const auto& rs : old_sets) old_uids.insert(StringOf(Field(rs, {"metadata", "uid"})));
  bool old_running = false;
  pods_.ForEach([&](const Json& pod) {
    auto ref = ControllerRefOf(pod);
    std::string phase = StringOf(Field(pod, {"status", "phase"}));
    if (ref && old_uids.contains(ref->uid) && phase != "Succeeded" && phase != "Failed") {
      old_running = true;
    }
  });
  if (old_running) return UpdateStatus(d, nullptr, old_sets);
  CAPSTAN_ASSIGN_OR_RETURN(Json new_rs, NewReplicaSet(d, old_sets, create));
  CAPSTAN_TRY(Scale(d, new_rs, SpecReplicas(d)));
  std::vector<Json> all = old_sets;
  all.push_back(new_rs);
  if (StatusInt(new_rs, "availableReplicas") == SpecReplicas(d)) {
    CAPSTAN_TRY(CleanupOldSets(d, old_sets));
  }
  return UpdateStatus(d, &new_rs, all);
}

Status DeploymentController::ScaleForPause(const Json& d, const std::vector<Json>& sets) {
  // A paused Deployment rolls nothing out; a scale goes to its newest active set.
  const Json* target = nullptr;
  for (const auto& rs : sets) {
    if (SpecReplicas(rs) > 0 && (!target || RevisionOf(rs) > RevisionOf(*target))) target = &rs;
  }
  if (!target) return Ok();
  int64_t others = Sum(sets, SpecReplicas) - SpecReplicas(*target);
  Json rs = *target;
  return Scale(d, rs, std::max<int64_t>(0, SpecReplicas(d) - others));
}

Status DeploymentController::CleanupOldSets(const Json& d, const std::vector<Json>& old_sets) {
  int64_t limit = std::max<int64_t>(0, IntField(d, {"spec", "revisionHistoryLimit"}, 10));
  std::vector<Json> idle;
  for (const auto& rs : old_sets) {
    if (SpecReplicas(rs) == 0 && StatusInt(rs, "replicas") == 0 &&
        Field(rs, {"metadata", "deletionTimestamp"}).is_null()) {
      idle.push_back(rs);
    }
  }
  if (static_cast<int64_t>(idle.size()) <= limit) return Ok();
  std::sort(idle.begin(), idle.end(),
            [](const Json& a, const Json& b) { return RevisionOf(a) < RevisionOf(b); });
  for (size_t i = 0; i < idle.size() - static_cast<size_t>(limit); ++i) {
    auto st = api_->Delete(client::resources::kReplicaSets, NamespaceOf(idle[i]), NameOf(idle[i]));
    if (!st && st.error().code() != Code::kNotFound) return st;
  }
  return Ok();
}

Status DeploymentController::UpdateStatus(const Json& d, const Json* new_rs,
                                          const std::vector<Json>& all_sets) {
  int64_t replicas = SpecReplicas(d);
  auto [surge, max_unavailable] = ResolveSurgeAndUnavailable(d);
  Json status = Field(d, {"status"}).is_object() ? Field(d, {"status"}) : Json::object();
  Json next = status;
  int64_t total = Sum(all_sets, [](const Json& rs) { return StatusInt(rs, "replicas"); });
  int64_t updated = new_rs ? StatusInt(*new_rs, "replicas") : 0;
  int64_t ready = Sum(all_sets, [](const Json& rs) { return StatusInt(rs, "readyReplicas"); });
  int64_t available =
      Sum(all_sets, [](const Json& rs) { return StatusInt(rs, "availableReplicas"); });
  next["observedGeneration"] = IntField(d, {"metadata", "generation"}, 1);
  next["replicas"] = total;
  next["updatedReplicas"] = updated;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["unavailableReplicas"] = std::max<int64_t>(0, replicas - available);
  for (const char* k : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                        "unavailableReplicas"}) {
    if (next[k] == 0) next.erase(k);
  }

  std::string now = api::k8s::FormatTime(clock_->Now());
  auto set_condition = [&](const std::string& type, const std::string& st,
                           const std::string& reason, const std::string& message) {
    Json conditions = Json::array();
    Json previous;
    if (next.contains("conditions") && next["conditions"].is_array()) {
      for (const auto& c : next["conditions"]) {
        if (c.value("type", "") == type) {
          previous = c;
        } else {
          conditions.push_back(c);
        }
      }
    }
    Json c = {{"type", type},       {"status", st},          {"reason", reason},
              {"message", message}, {"lastUpdateTime", now}, {"lastTransitionTime", now}};
    if (previous.is_object()) {
      if (previous.value("status", "") == st)
        c["lastTransitionTime"] = previous["lastTransitionTime"];
      // Nothing new to say: keep the old times, so the status does not churn.
      if (previous.value("status", "") == st && previous.value("reason", "") == reason &&
          previous.value("message", "") == message) {
        c = previous;
      }
    }
    conditions.push_back(c);
    // Available first, then Progressing, as upstream lists them.
    std::stable_sort(conditions.begin(), conditions.end(), [](const Json& a, const Json& b) {
      return a.value("type", "") == "Available" && b.value("type", "") != "Available";
    });
    next["conditions"] = conditions;
  };
  if (available >= replicas - max_unavailable) {
    set_condition("Available", "True", "MinimumReplicasAvailable",
                  "Deployment has minimum availability.");
  } else {
    set_condition("Available", "False", "MinimumReplicasUnavailable",
                  "Deployment does not have minimum availability.");
  }
  std::string rs_name = new_rs ? NameOf(*new_rs) : "";
  // Bounded so that time arithmetic cannot overflow (a year is beyond any real deadline).
  int64_t deadline =
      std::clamp<int64_t>(IntField(d, {"spec", "progressDeadlineSeconds"}, 600), 1, 365 * 86400);
  bool complete = new_rs && updated == replicas && total == replicas && available == replicas;
  if (Field(d, {"spec", "paused"}) == true) {
    set_condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
  } else if (complete) {
    set_condition("Progressing", "True", "NewReplicaSetAvailable",
                  fmt::format("ReplicaSet \"{}\" has successfully progressed.", rs_name));
  } else if (!rs_name.empty()) {
    // Progress: more updated, ready or available pods than the last status said, or fewer
    // old ones.
    bool moved = updated > StatusInt(d, "updatedReplicas") ||
                 ready > StatusInt(d, "readyReplicas") ||
                 available > StatusInt(d, "availableReplicas") ||
                 total - updated < StatusInt(d, "replicas") - StatusInt(d, "updatedReplicas");
    const Json* progressing = Condition(d, "Progressing");
    bool fresh = !progressing || progressing->value("reason", "") == "NewReplicaSetAvailable" ||
                 progressing->value("reason", "") == "DeploymentPaused" ||
                 progressing->value("message", "").find("\"" + rs_name + "\"") == std::string::npos;
    if (moved || fresh) {
      set_condition("Progressing", "True", "ReplicaSetUpdated",
                    fmt::format("ReplicaSet \"{}\" is progressing.", rs_name));
      next["conditions"].back()["lastUpdateTime"] = now;  // progress restarts the deadline
      queue_.AddAfter(NamespaceOf(d) + "/" + NameOf(d), std::chrono::seconds(deadline + 1));
    } else if (progressing && progressing->value("status", "") == "True") {
      auto since = api::k8s::ParseTime(progressing->value("lastUpdateTime", ""));
      if (since && *since + std::chrono::seconds(deadline) < clock_->Now()) {
        set_condition("Progressing", "False", "ProgressDeadlineExceeded",
                      fmt::format("ReplicaSet \"{}\" has timed out progressing.", rs_name));
      } else if (since) {
        // Look again when the deadline passes (as upstream's requeueStuckDeployment).
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *since + std::chrono::seconds(deadline) - clock_->Now());
        queue_.AddAfter(NamespaceOf(d) + "/" + NameOf(d), left + std::chrono::seconds(1));
      }
    }
  }
  if (next == status) return Ok();
  return PutStatus(api_, client::resources::kDeployments, d, next);
}

}  // namespace capstan::control_plane::controllers

#include "control-plane/controllers/job_controller.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "api/k8s/labels.h"
#include "api/k8s/meta.h"
#include "common/log.h"
#include "control-plane/controllers/pod_claims.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {

namespace client = api::k8s::client;

// What the job's pods add up to.
struct JobController::Counts {
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t ready = 0;
  int64_t restarts = 0;         // container restarts of active pods (OnFailure)
  std::set<int64_t> completed;  // Indexed: indexes with a succeeded pod
};

namespace {

const log::Logger kLog("job-controller");

// A pod's completion index, if it has a valid one below `completions`.
std::optional<int64_t> IndexOf(const Json& pod, int64_t completions) {
  std::string text = StringOf(Field(pod, {"metadata", "annotations", kJobCompletionIndex}));
  int64_t n = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || n < 0 ||
      n >= completions) {
    return std::nullopt;
  }
  return n;
}

// "0-2,4,6-7", as upstream writes status.completedIndexes.
std::string FormatIndexes(const std::set<int64_t>& indexes) {
  std::string out;
  for (auto it = indexes.begin(); it != indexes.end();) {
    int64_t first = *it, last = *it;
    for (++it; it != indexes.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ",";
    out += first == last ? std::to_string(first) : fmt::format("{}-{}", first, last);
  }
  return out;
}

const Json* ConditionOf(const Json& status, const std::string& type) {
  const Json& conditions = Field(status, {"conditions"});
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (StringOf(Field(c, {"type"})) == type) return &c;
  }
  return nullptr;
}

bool ConditionTrue(const Json& status, const std::string& type) {
  const Json* c = ConditionOf(status, type);
  return c && StringOf(Field(*c, {"status"})) == "True";
}

// Sets a condition, keeping its transition time when the status does not change.
void SetCondition(Json& status, const std::string& type, const std::string& value,
                  const std::string& reason, const std::string& message, const std::string& now) {
  if (!status["conditions"].is_array()) status["conditions"] = Json::array();
  for (auto& c : status["conditions"]) {
    if (StringOf(Field(c, {"type"})) != type) continue;
    if (StringOf(Field(c, {"status"})) != value) c["lastTransitionTime"] = now;
    c["status"] = value;
    c["reason"] = reason;
    c["message"] = message;
    c["lastProbeTime"] = now;
    return;
  }
  status["conditions"].push_back({{"type", type},
                                  {"status", value},
                                  {"reason", reason},
                                  {"message", message},
                                  {"lastProbeTime", now},
                                  {"lastTransitionTime", now}});
}

int64_t RestartsOf(const Json& pod) {
  int64_t n = 0;
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const Json& statuses = Field(pod, {"status", list});
    if (!statuses.is_array()) continue;
    for (const auto& s : statuses) n += IntField(s, {"restartCount"}, 0);
  }
  return n;
}

}  // namespace

JobController::JobController(client::ApiClient* api, const Clock* clock, client::Reflector* jobs,
                             client::Reflector* pods)
    : Controller(clock, "job-controller"),
      api_(api),
      expectations_(clock),
      failures_(clock, std::chrono::seconds(10), std::chrono::minutes(6)),
      events_(api, clock, "job-controller"),
      jobs_(*jobs),
      pods_(*pods) {
  auto enqueue = [this](const Json& job) { queue_.Add(KeyOf(job)); };
  jobs_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& j) { enqueue(j); },
                         [this](const Json& j) {
                           expectations_.Delete(KeyOf(j));
                           failures_.Forget(KeyOf(j));
                         }});
  pods_.AddEventHandler(OwnedPodHandler(
      "Job", &expectations_, [this](const std::string& key) { queue_.Add(key); },
      [this](const Json& orphan) {
        for (const auto& key : OwnersSelecting(jobs_, orphan)) queue_.Add(key);
      }));
}

Status JobController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto job = jobs_.Get(ns, name);
  if (!job) {
    expectations_.Delete(key);
    return Ok();
  }
  if (!Field(*job, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  Json status = Field(*job, {"status"}).is_object() ? Field(*job, {"status"}) : Json::object();
  if (ConditionTrue(status, "Complete") || ConditionTrue(status, "Failed")) return Ok();
  auto selector = api::k8s::LabelSelector::FromJson(Field(*job, {"spec", "selector"}));
  if (!selector || selector->Empty()) {
    kLog.Warn("a job without a usable selector is left alone", {{"job", key}});
    return Ok();
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto claimed, ClaimPods(api_, *job, *selector, pods_));

  const Json& spec = Field(*job, {"spec"});
  bool indexed = StringOf(Field(spec, {"completionMode"})) == "Indexed";
  bool has_completions = Field(spec, {"completions"}).is_number_integer();
  int64_t completions = std::max<int64_t>(IntField(spec, {"completions"}, 1), 0);
  Counts counts;
  std::vector<Json> active;
  for (auto& pod : claimed) {
    std::string phase = StringOf(Field(pod, {"status", "phase"}));
    if (phase == "Succeeded") {
      ++counts.succeeded;
      if (auto i = indexed ? IndexOf(pod, completions) : std::nullopt) counts.completed.insert(*i);
    } else if (phase == "Failed") {
      ++counts.failed;
    } else if (IsPodActive(pod)) {
      counts.ready += IsPodReady(pod);
      counts.restarts += RestartsOf(pod);
      active.push_back(std::move(pod));
    }
  }
  if (indexed) counts.succeeded = static_cast<int64_t>(counts.completed.size());

  WallTime now = clock_->Now();
  std::string now_text = api::k8s::FormatTime(now);
  bool suspended = Field(spec, {"suspend"}) == true;
  if (Field(status, {"startTime"}).is_null() && !suspended) status["startTime"] = now_text;
  status["succeeded"] = counts.succeeded;
  status["failed"] = counts.failed;
  status["ready"] = counts.ready;
  if (indexed) status["completedIndexes"] = FormatIndexes(counts.completed);

  int64_t backoff_limit = IntField(spec, {"backoffLimit"}, 6);
  bool on_failure = StringOf(Field(spec, {"template", "spec", "restartPolicy"})) == "OnFailure";
  std::optional<std::chrono::seconds> deadline_left;
  if (int64_t ads = IntField(spec, {"activeDeadlineSeconds"}, 0); ads > 0 && !suspended) {
    auto start = api::k8s::ParseTime(StringOf(status["startTime"]));
    if (start) {
      deadline_left = std::chrono::duration_cast<std::chrono::seconds>(
          *start + std::chrono::seconds(ads) - now);
    }
  }

  if (counts.failed > backoff_limit ||
      (on_failure &&
       (backoff_limit == 0 ? counts.restarts > 0 : counts.restarts >= backoff_limit))) {
    return Finish(*job, status, active, "Failed", "BackoffLimitExceeded",
                  "Job has reached the specified backoff limit");
  }
  if (deadline_left && deadline_left->count() <= 0) {
    return Finish(*job, status, active, "Failed", "DeadlineExceeded",
                  "Job was active longer than specified deadline");
  }
  bool complete =
      has_completions ? counts.succeeded >= completions : counts.succeeded > 0 && active.empty();
  if (complete) return Finish(*job, status, active, "Complete", "", "");

  if (suspended) {
    expectations_.Expect(key, 0, static_cast<int>(active.size()));
    CAPSTAN_TRY(DeleteOwnedPods(api_, events_, expectations_, *job, active));
    active.clear();
    if (!ConditionTrue(status, "Suspended")) {
      SetCondition(status, "Suspended", "True", "JobSuspended", "Job suspended", now_text);
      events_.Record(*job, "Normal", "Suspended", "Job suspended");
    }
  } else {
    if (ConditionTrue(status, "Suspended")) {
      SetCondition(status, "Suspended", "False", "JobResumed", "Job resumed", now_text);
      status["startTime"] = now_text;  // the deadline counts active time from the resume
      events_.Record(*job, "Normal", "Resumed", "Job resumed");
    }
    if (expectations_.Satisfied(key)) CAPSTAN_TRY(ManagePods(*job, counts, active));
    if (deadline_left) queue_.AddAfter(key, *deadline_left);
  }
  status["active"] = static_cast<int64_t>(active.size());
  for (const char* k : {"active", "succeeded", "failed"}) {
    if (status[k] == 0) status.erase(k);
  }
  if (status == Field(*job, {"status"})) return Ok();
  return PutStatus(api_, client::resources::kJobs, *job, status);
}

Status JobController::ManagePods(const Json& job, const Counts& counts, std::vector<Json>& active) {
  const Json& spec = Field(job, {"spec"});
  std::string key = KeyOf(job);
  int64_t parallelism = std::max<int64_t>(IntField(spec, {"parallelism"}, 1), 0);
  bool has_completions = Field(spec, {"completions"}).is_number_integer();
  int64_t completions = std::max<int64_t>(IntField(spec, {"completions"}, 1), 0);
  bool indexed = StringOf(Field(spec, {"completionMode"})) == "Indexed";

  std::vector<Json> surplus;
  std::vector<std::optional<int64_t>> to_create;
  if (indexed) {
    // One active pod per index not yet completed, the lowest indexes first.
    std::set<int64_t> running;
    std::vector<Json> kept;
    for (auto& pod : active) {
      auto i = IndexOf(pod, completions);
      if (!i || counts.completed.contains(*i) || !running.insert(*i).second) {
        surplus.push_back(pod);
      } else {
        kept.push_back(pod);
      }
    }
    // More than parallelism allows (it was lowered): the excess goes, in deletion order.
    if (static_cast<int64_t>(kept.size()) > parallelism) {
      SortForDeletion(kept);
      int64_t excess = static_cast<int64_t>(kept.size()) - parallelism;
      for (int64_t i = 0; i < excess; ++i) {
        running.erase(*IndexOf(kept[i], completions));
        surplus.push_back(kept[i]);
      }
      kept.erase(kept.begin(), kept.begin() + excess);
    }
    active = std::move(kept);
    for (int64_t i = 0; i < completions; ++i) {
      if (static_cast<int64_t>(active.size() + to_create.size()) >= parallelism) break;
      if (!counts.completed.contains(i) && !running.contains(i)) to_create.push_back(i);
    }
  } else {
    int64_t want = parallelism;
    if (has_completions) {
      want = std::min(parallelism, completions - counts.succeeded);
    } else if (counts.succeeded > 0) {
      want = static_cast<int64_t>(active.size());  // work-queue job: let the rest finish
    }
    want = std::max<int64_t>(want, 0);
    int64_t have = static_cast<int64_t>(active.size());
    if (have > want) {
      SortForDeletion(active);
      surplus.assign(active.begin(), active.begin() + (have - want));
      active.erase(active.begin(), active.begin() + (have - want));
    }
    for (int64_t i = have; i < want; ++i) to_create.push_back(std::nullopt);
  }
  if (!to_create.empty()) {
    failures_.SetFailures(key, counts.failed);
    if (auto wait = failures_.Remaining(key); wait.count() > 0) {
      queue_.AddAfter(key, wait);
      to_create.clear();
    }
  }
  if (surplus.empty() && to_create.empty()) return Ok();
  expectations_.Expect(key, static_cast<int>(to_create.size()), static_cast<int>(surplus.size()));
  CAPSTAN_TRY(DeleteOwnedPods(api_, events_, expectations_, job, surplus));
  for (size_t i = 0; i < to_create.size(); ++i) {
    auto st = CreatePod(job, to_create[i]);
    if (!st) {
      for (size_t j = i; j < to_create.size(); ++j) expectations_.CreationObserved(key);
      return st;
    }
    active.push_back(Json::object());  // counted as active until the informer shows it
  }
  return Ok();
}

Status JobController::CreatePod(const Json& job, std::optional<int64_t> index) {
  std::string name = StringOf(Field(job, {"metadata", "name"}));
  Json pod = PodFromTemplate(Field(job, {"spec", "template"}), job,
                             index ? fmt::format("{}-{}-", name, *index) : name + "-");
  if (index) {
    std::string text = std::to_string(*index);
    pod["metadata"]["annotations"][kJobCompletionIndex] = text;
    pod["metadata"]["labels"][kJobCompletionIndex] = text;
    Json& spec = pod["spec"];
    if (StringOf(Field(spec, {"hostname"})).empty()) spec["hostname"] = name + "-" + text;
    Json env = {
        {"name", "JOB_COMPLETION_INDEX"},
        {"valueFrom",
         {{"fieldRef",
           {{"fieldPath", fmt::format("metadata.annotations['{}']", kJobCompletionIndex)}}}}}};
    for (const char* list : {"initContainers", "containers"}) {
      if (!spec[list].is_array()) continue;
      for (auto& c : spec[list]) {
        if (!c.is_object()) continue;
        if (!c["env"].is_array()) c["env"] = Json::array();
        c["env"].push_back(env);
      }
    }
    if (spec["initContainers"].is_null()) spec.erase("initContainers");
  }
  return CreateOwnedPod(api_, events_, job, pod);
}

Status JobController::Finish(const Json& job, Json& status, const std::vector<Json>& active,
                             const std::string& type, const std::string& reason,
                             const std::string& message) {
  std::string key = KeyOf(job);
  expectations_.Expect(key, 0, static_cast<int>(active.size()));
  CAPSTAN_TRY(DeleteOwnedPods(api_, events_, expectations_, job, active));
  std::string now = api::k8s::FormatTime(clock_->Now());
  status.erase("active");
  status["ready"] = 0;
  // Pods a failed job stops count as failed, as upstream counts them.
  if (type != "Complete")
    status["failed"] = IntField(status, {"failed"}, 0) + static_cast<int64_t>(active.size());
  if (type == "Complete") {
    status["completionTime"] = now;
    // Since 1.31 upstream marks SuccessCriteriaMet before Complete; kubectl reads either.
    SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached",
                 "Reached expected number of succeeded pods", now);
    SetCondition(status, "Complete", "True", "CompletionsReached",
                 "Reached expected number of succeeded pods", now);
    events_.Record(job, "Normal", "Completed", "Job completed");
  } else {
    SetCondition(status, "FailureTarget", "True", reason, message, now);
    SetCondition(status, "Failed", "True", reason, message, now);
    events_.Record(job, "Warning", reason, message);
  }
  for (const char* k : {"succeeded", "failed"}) {
    if (status.contains(k) && status[k] == 0) status.erase(k);
  }
  return PutStatus(api_, client::resources::kJobs, job, status);
}

}  // namespace capstan::control_plane::controllers

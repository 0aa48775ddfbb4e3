#include "control-plane/controllers/cronjob_controller.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <set>

#include "api/k8s/meta.h"
#include "common/log.h"
#include "control-plane/controllers/cron_schedule.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using client::resources::kCronJobs;
using client::resources::kJobs;
const log::Logger kLog("cronjob-controller");
// More missed times than this and upstream warns (it still runs the latest).
constexpr int64_t kMaxMissedTimes = 100;
constexpr int64_t kMaxWalk = 1'000'000;

// "Complete" or "Failed" once the Job has finished, else "".
std::string FinishedAs(const Json& job) {
  for (const auto& c : Field(job, {"status", "conditions"})) {
    std::string type = StringOf(Field(c, {"type"}));
    if ((type == "Complete" || type == "Failed") && StringOf(Field(c, {"status"})) == "True") {
      return type;
    }
  }
  return "";
}

// Go's time.RFC1123Z in UTC, as upstream's MissSchedule event writes it.
std::string Rfc1123z(WallTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

WallTime TimeOf(const Json& v, WallTime fallback) {
  auto t = api::k8s::ParseTime(StringOf(v));
  return t ? *t : fallback;
}

Json ReferenceTo(const Json& job) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"namespace", Field(job, {"metadata", "namespace"})},
          {"name", Field(job, {"metadata", "name"})},
          {"uid", Field(job, {"metadata", "uid"})},
          {"resourceVersion", Field(job, {"metadata", "resourceVersion"})}};
}

// The Job for the run scheduled at `when`, as upstream's getJobFromTemplate2 makes it.
Json JobFor(const Json& cron_job, WallTime when) {
  const Json& tmpl = Field(cron_job, {"spec", "jobTemplate"});
  int64_t minutes =
      std::chrono::duration_cast<std::chrono::minutes>(when.time_since_epoch()).count();
  Json meta = {
      {"name", fmt::format("{}-{}", StringOf(Field(cron_job, {"metadata", "name"})), minutes)},
      {"namespace", Field(cron_job, {"metadata", "namespace"})},
      {"ownerReferences", Json::array({ControllerRefTo(cron_job)})}};
  Json labels = Field(tmpl, {"metadata", "labels"});
  if (labels.is_object()) meta["labels"] = labels;
  Json annotations = Field(tmpl, {"metadata", "annotations"});
  if (!annotations.is_object()) annotations = Json::object();
  annotations[kCronJobScheduledTimestamp] = api::k8s::FormatTime(when);
  meta["annotations"] = annotations;
  Json spec = Field(tmpl, {"spec"});
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", meta},
          {"spec", spec.is_object() ? spec : Json::object()}};
}

}  // namespace

CronJobController::CronJobController(client::ApiClient* api, const Clock* clock,
                                     client::Reflector* cron_jobs, client::Reflector* jobs)
    : Controller(clock, "cronjob-controller"),
      api_(api),
      events_(api, clock, "cronjob-controller"),
      cron_jobs_(*cron_jobs),
      jobs_(*jobs) {
  auto enqueue = [this](const Json& c) { queue_.Add(KeyOf(c)); };
  cron_jobs_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& c) { enqueue(c); }, {}});
  // A Job's progress or end changes its CronJob's status.
  auto owner = [this](const Json& job) {
    auto ref = ControllerRefOf(job);
    if (ref && ref->kind == "CronJob") {
      queue_.Add(StringOf(Field(job, {"metadata", "namespace"})) + "/" + ref->name);
    }
  };
  jobs_.AddEventHandler({owner, [owner](const Json&, const Json& j) { owner(j); }, owner});
}

std::vector<Json> CronJobController::OwnedJobs(const Json& cron_job) const {
  std::string ns = StringOf(Field(cron_job, {"metadata", "namespace"}));
  std::string uid = StringOf(Field(cron_job, {"metadata", "uid"}));
  std::vector<Json> out;
  jobs_.ForEach([&](const Json& job) {
    auto ref = ControllerRefOf(job);
    if (ref && ref->uid == uid && StringOf(Field(job, {"metadata", "namespace"})) == ns) {
      out.push_back(job);
    }
  });
  return out;
}

Status CronJobController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = cron_jobs_.Get(ns, name);
  if (!cached) return Ok();
  const Json& cron_job = *cached;
  if (!Field(cron_job, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  WallTime now = clock_->Now();
  Json status = Field(cron_job, {"status"}).is_object() ? cron_job["status"] : Json::object();
  Json before = status;
  std::vector<Json> jobs = OwnedJobs(cron_job);

  // status.active: the Jobs this CronJob started that still run. As upstream, an unfinished
  // Job it owns but did not list (kubectl create job --from=cronjob/...) is reported and
  // left out; a listed Job that is gone is reported and dropped.
  std::set<std::string> listed;
  for (const auto& a : Field(status, {"active"})) listed.insert(StringOf(Field(a, {"uid"})));
  std::set<std::string> existing;
  Json active = Json::array();
  for (const auto& job : jobs) {
    std::string job_name = StringOf(Field(job, {"metadata", "name"}));
    std::string uid = StringOf(Field(job, {"metadata", "uid"}));
    existing.insert(uid);
    std::string finished = FinishedAs(job);
    bool found = listed.contains(uid);
    if (finished.empty()) {
      if (found) {
        active.push_back(ReferenceTo(job));
      } else {
        events_.Record(cron_job, "Warning", "UnexpectedJob",
                       "Saw a job that the controller did not create or forgot: " + job_name);
      }
      continue;
    }
    if (found) {
      events_.Record(cron_job, "Normal", "SawCompletedJob",
                     fmt::format("Saw completed job: {}, condition: {}", job_name, finished));
    }
    const Json& done = Field(job, {"status", "completionTime"});
    if (finished == "Complete" && done.is_string() &&
        TimeOf(done, WallTime{}) > TimeOf(status["lastSuccessfulTime"], WallTime{})) {
      status["lastSuccessfulTime"] = done;
    }
  }
  for (const auto& a : Field(status, {"active"})) {
    if (!existing.contains(StringOf(Field(a, {"uid"})))) {
      events_.Record(cron_job, "Normal", "MissingJob",
                     "Active job went missing: " + StringOf(Field(a, {"name"})));
    }
  }
  status["active"] = active;

  auto write_status = [&]() -> Status {
    if (status["active"].empty()) status.erase("active");
    if (status == before) return Ok();
    return PutStatus(api_, kCronJobs, cron_job, status);
  };
  CAPSTAN_TRY(CleanUpHistory(cron_job, jobs));

  std::string time_zone = StringOf(Field(cron_job, {"spec", "timeZone"}));
  if (!time_zone.empty() && time_zone != "UTC" && time_zone != "Etc/UTC") {
    events_.Record(cron_job, "Warning", "UnknownTimeZone",
                   fmt::format("invalid timeZone: \"{}\": only UTC is supported", time_zone));
    return write_status();
  }
  std::string schedule_text = StringOf(Field(cron_job, {"spec", "schedule"}));
  auto schedule = CronSchedule::Parse(schedule_text);
  if (!schedule) {
    events_.Record(
        cron_job, "Warning", "InvalidSchedule",
        fmt::format("invalid schedule: {} : {}", schedule_text, schedule.error().message()));
    return write_status();
  }
  if (Field(cron_job, {"spec", "suspend"}) == Json(true)) return write_status();

  // The latest scheduled time that has come and not been run.
  WallTime created = TimeOf(Field(cron_job, {"metadata", "creationTimestamp"}), now);
  WallTime since = TimeOf(status["lastScheduleTime"], created);
  // Times older than the starting deadline cannot run: the walk starts at the deadline, as
  // upstream's does (and a missed one is reported once, not at every sync).
  const Json& deadline = Field(cron_job, {"spec", "startingDeadlineSeconds"});
  std::optional<std::chrono::seconds> deadline_seconds;
  if (deadline.is_number_integer()) {
    deadline_seconds =
        std::chrono::seconds(std::clamp<int64_t>(deadline.get<int64_t>(), 0, INT32_MAX));
    since = std::max(since, now - *deadline_seconds);
  }
  std::optional<WallTime> due;
  int64_t missed = 0;
  // Walks the missed times (a minute schedule idle for a year is half a million steps).
  for (auto t = schedule->Next(since); t && *t <= now && missed < kMaxWalk;
       t = schedule->Next(*t), ++missed) {
    due = t;
  }
  if (missed > kMaxMissedTimes) {
    events_.Record(cron_job, "Warning", "TooManyMissedTimes",
                   "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                   "or check clock skew");
  }
  auto requeue = [&] {
    if (auto next = schedule->Next(now)) {
      queue_.AddAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(*next - now) +
                               std::chrono::milliseconds(100));
    }
  };
  if (!due) {
    requeue();
    return write_status();
  }
  if (deadline_seconds && *due + *deadline_seconds < now) {
    events_.Record(cron_job, "Warning", "MissSchedule",
                   fmt::format("Missed scheduled time to start a job: {}", Rfc1123z(*due)));
    requeue();
    return write_status();
  }
  std::string policy = StringOf(Field(cron_job, {"spec", "concurrencyPolicy"}));
  if (policy == "Forbid" && !status["active"].empty()) {
    kLog.Info("not starting a job while the last one runs (concurrencyPolicy Forbid)",
              {{"cronjob", key}});
    requeue();
    return write_status();
  }
  if (policy == "Replace") {
    for (const auto& a : status["active"]) {
      std::string job_name = StringOf(a["name"]);
      auto st = api_->Delete(kJobs, ns, job_name, -1, "Background");
      if (!st && st.error().code() != Code::kNotFound) return st;
      events_.Record(cron_job, "Normal", "SuccessfulDelete", "Deleted job " + job_name);
    }
    status["active"] = Json::array();
  }
  Json job = JobFor(cron_job, *due);
  std::string job_name = StringOf(job["metadata"]["name"]);
  auto made = api_->Create(kJobs, ns, job);
  if (!made && made.error().code() == Code::kAlreadyExists) {
    // Made by an earlier sync whose status write was lost: it is this run's Job.
    made = api_->Get(kJobs, ns, job_name);
    if (made && StringOf(Field(*made, {"metadata", "annotations", kCronJobScheduledTimestamp})) !=
                    api::k8s::FormatTime(*due)) {
      return Fail(Code::kAlreadyExists, "job {} exists and is not this CronJob's", job_name);
    }
  } else if (made) {
    events_.Record(cron_job, "Normal", "SuccessfulCreate", "Created job " + job_name);
  }
  if (!made) {
    events_.Record(cron_job, "Warning", "FailedCreate",
                   fmt::format("Error creating job: {}", made.error().message()));
    return Fail(made.error());
  }
  if (FinishedAs(*made).empty()) {
    bool listed = false;
    for (const auto& a : status["active"]) listed |= StringOf(a["name"]) == job_name;
    if (!listed) status["active"].push_back(ReferenceTo(*made));
  }
  status["lastScheduleTime"] = api::k8s::FormatTime(*due);
  requeue();
  return write_status();
}

Status CronJobController::CleanUpHistory(const Json& cron_job, const std::vector<Json>& jobs) {
  auto limit = [&](const char* field, int64_t fallback) {
    const Json& v = Field(cron_job, {"spec", field});
    return v.is_number_integer() ? std::max<int64_t>(0, v.get<int64_t>()) : fallback;
  };
  std::string ns = StringOf(Field(cron_job, {"metadata", "namespace"}));
  for (auto [kind, keep] : {std::pair{"Complete", limit("successfulJobsHistoryLimit", 3)},
                            std::pair{"Failed", limit("failedJobsHistoryLimit", 1)}}) {
    std::vector<const Json*> finished;
    for (const auto& job : jobs) {
      if (FinishedAs(job) == kind) finished.push_back(&job);
    }
    if (static_cast<int64_t>(finished.size()) <= keep) continue;
    // Oldest first, by start time (creation when it has none).
    auto started = [](const Json* j) {
      const Json& s = Field(*j, {"status", "startTime"});
      return StringOf(s.is_string() ? s : Field(*j, {"metadata", "creationTimestamp"}));
    };
    std::sort(finished.begin(), finished.end(),
              [&](const Json* a, const Json* b) { return started(a) < started(b); });
    for (size_t i = 0; i + keep < finished.size(); ++i) {
      std::string job_name = StringOf(Field(*finished[i], {"metadata", "name"}));
      if (!Field(*finished[i], {"metadata", "deletionTimestamp"}).is_null()) continue;
      auto st = api_->Delete(kJobs, ns, job_name, -1, "Background");
      if (!st && st.error().code() != Code::kNotFound) return st;
      events_.Record(cron_job, "Normal", "SuccessfulDelete", "Deleted job " + job_name);
    }
  }
  return Ok();
}

}  // namespace capstan::control_plane::controllers

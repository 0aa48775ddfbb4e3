#pragma once
// CronJobController: makes a CronJob's Jobs on its schedule, as kube-controller-manager's
// cronjob controller (v2) does:
//   - at each scheduled minute (UTC; see cron_schedule.h) a Job from spec.jobTemplate,
//     named <cronjob>-<minutes since the epoch>, owned by the CronJob, annotated with
//     batch.kubernetes.io/cronjob-scheduled-timestamp; only the latest missed time is run,
//     and none when it is older than spec.startingDeadlineSeconds;
//   - concurrencyPolicy Allow, Forbid (skip while a Job runs) or Replace (delete the
//     running ones first); spec.suspend stops new Jobs;
//   - status.active lists the running Jobs, lastScheduleTime and lastSuccessfulTime follow
//     them; finished Jobs beyond successfulJobsHistoryLimit (3) and
//     failedJobsHistoryLimit (1) are deleted, oldest first;
//   - events as upstream: SuccessfulCreate, SawCompletedJob, SuccessfulDelete,
//     MissSchedule, InvalidSchedule, UnexpectedJob, MissingJob, UnknownTimeZone.
// A CronJob is synced again when its next time comes.

#include "api/k8s/client/event_recorder.h"
#include "api/k8s/client/reflector.h"
#include "control-plane/controllers/controller.h"

namespace capstan::control_plane::controllers {

inline constexpr const char* kCronJobScheduledTimestamp =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";

class CronJobController : public Controller {
 public:
  CronJobController(api::k8s::client::ApiClient* api, const Clock* clock,
                    api::k8s::client::Reflector* cron_jobs, api::k8s::client::Reflector* jobs);
  Status Sync(const std::string& key) override;

 private:
  std::vector<Json> OwnedJobs(const Json& cron_job) const;
  Status CleanUpHistory(const Json& cron_job, const std::vector<Json>& jobs);

  api::k8s::client::ApiClient* api_;
  api::k8s::client::EventRecorder events_;
  api::k8s::client::Reflector& cron_jobs_;
  api::k8s::client::Reflector& jobs_;
};

}  // namespace capstan::control_plane::controllers

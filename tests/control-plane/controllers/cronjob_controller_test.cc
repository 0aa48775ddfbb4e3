// CronJobController and CronSchedule: Jobs on the schedule with upstream's names, status and
// events; concurrency policies, history limits, the starting deadline, suspend.
#include "control-plane/controllers/cronjob_controller.h"

#include "api/k8s/meta.h"
#include "control-plane/controllers/cron_schedule.h"
#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kCronJobs;
using client::resources::kJobs;
using namespace std::chrono;

WallTime At(const char* rfc3339) { return *api::k8s::ParseTime(rfc3339); }

std::string NextAfter(const char* schedule, const char* after) {
  auto s = CronSchedule::Parse(schedule);
  if (!s) return "error: " + s.error().message();
  auto next = s->Next(At(after));
  return next ? api::k8s::FormatTime(*next) : "never";
}

TEST(CronScheduleTest, NextTimesAsCron) {
  EXPECT_EQ(NextAfter("*/15 * * * *", "2026-01-01T00:07:30Z"), "2026-01-01T00:15:00Z");
  EXPECT_EQ(NextAfter("*/15 * * * *", "2026-01-01T00:15:00Z"), "2026-01-01T00:30:00Z");
  // 2026-01-01 is a Thursday.
  EXPECT_EQ(NextAfter("0 9 * * mon-fri", "2026-01-01T00:00:00Z"), "2026-01-01T09:00:00Z");
  EXPECT_EQ(NextAfter("0 9 * * MON-FRI", "2026-01-02T09:00:00Z"), "2026-01-05T09:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * 7", "2026-01-01T00:00:00Z"), "2026-01-04T00:00:00Z");
  EXPECT_EQ(NextAfter("30 2 1 jan,jul ?", "2026-01-01T03:00:00Z"), "2026-07-01T02:30:00Z");
  // Both day fields restricted: either one matching will do (the 13th or a Friday).
  EXPECT_EQ(NextAfter("0 0 13 * 5", "2026-01-01T00:00:00Z"), "2026-01-02T00:00:00Z");
  // A day field from "*" ("*/2" too) does not restrict: both must match (odd days, Fridays).
  EXPECT_EQ(NextAfter("0 0 */2 * 5", "2026-01-02T00:00:00Z"), "2026-01-09T00:00:00Z");
  EXPECT_EQ(NextAfter("@monthly", "2026-01-01T00:00:00Z"), "2026-02-01T00:00:00Z");
  EXPECT_EQ(NextAfter("@hourly", "2026-01-01T00:00:00Z"), "2026-01-01T01:00:00Z");
  EXPECT_EQ(NextAfter("5-10/2 * * * *", "2026-01-01T00:07:00Z"), "2026-01-01T00:09:00Z");
  EXPECT_EQ(NextAfter("0 0 29 2 *", "2026-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 30 2 *", "2026-01-01T00:00:00Z"), "never");
  for (const char* bad : {"61 * * * *", "* * * *", "* * * * * *", "a b c d e", "*/0 * * * *",
                          "5-1 * * * *", "* * 0 * *", "* * * 13 *", "@every 5m"}) {
    EXPECT_FALSE(CronSchedule::Parse(bad)) << bad;
  }
}

class CronJobControllerTest : public ControllerFixture {
 protected:
  Json CronJob(const std::string& schedule, Json spec_extra = Json::object()) {
    Json spec = Json::parse(R"({"jobTemplate": {"metadata": {"labels": {"app": "report"}},
        "spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                                       "containers": [{"name": "c", "image": "busybox"}]}}}}})");
    spec["schedule"] = schedule;
    spec.update(spec_extra);
    return {{"apiVersion", "batch/v1"},
            {"kind", "CronJob"},
            {"metadata",
             {{"name", "report"},
              {"namespace", "default"},
              {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
            {"spec", spec}};
  }
  Status Step() {
    Sync(cron_jobs_);
    Sync(jobs_);
    return controller_.Sync("default/report");
  }
  Json Get() { return *api_.Get(kCronJobs, "default", "report"); }
  std::vector<std::string> JobNames() {
    std::vector<std::string> out;
    for (const auto& j : Items(kJobs)) out.push_back(j["metadata"]["name"]);
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string NameFor(const char* when) {
    return "report-" + std::to_string(duration_cast<minutes>(At(when).time_since_epoch()).count());
  }
  void Finish(const std::string& job, const char* type) {
    ASSERT_TRUE(api_.Patch(kJobs, "default", job, client::PatchType::kMerge,
                           {{"status",
                             {{"startTime", api::k8s::FormatTime(clock_.Now())},
                              {"completionTime", api::k8s::FormatTime(clock_.Now())},
                              {"conditions", {{{"type", type}, {"status", "True"}}}}}}},
                           "status"));
  }

  client::Reflector cron_jobs_{&api_, kCronJobs, "", {}};
  client::Reflector jobs_{&api_, kJobs, "", {}};
  CronJobController controller_{&api_, &clock_, &cron_jobs_, &jobs_};
};

TEST_F(CronJobControllerTest, MakesAJobAtEachScheduledTime) {
  ASSERT_TRUE(api_.Create(kCronJobs, "default", CronJob("*/5 * * * *")));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(JobNames().empty());  // 00:05 has not come

  clock_.Advance(minutes(5));
  ASSERT_TRUE(Step());
  std::string first = NameFor("2026-01-01T00:05:00Z");
  ASSERT_EQ(JobNames(), std::vector<std::string>{first});
  Json job = *api_.Get(kJobs, "default", first);
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  EXPECT_EQ(job["metadata"]["labels"]["app"], "report");
  EXPECT_EQ(job["metadata"]["annotations"][kCronJobScheduledTimestamp], "2026-01-01T00:05:00Z");
  EXPECT_EQ(job["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
  Json cj = Get();
  EXPECT_EQ(cj["status"]["lastScheduleTime"], "2026-01-01T00:05:00Z");
  ASSERT_EQ(cj["status"]["active"].size(), 1u);
  EXPECT_EQ(cj["status"]["active"][0]["name"], first);
  EXPECT_EQ(EventMessages("SuccessfulCreate"), std::vector<std::string>{"Created job " + first});

  // The same minute again makes nothing; the job's end shows in status.
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames().size(), 1u);
  Finish(first, "Complete");
  ASSERT_TRUE(Step());
  cj = Get();
  EXPECT_FALSE(cj["status"].contains("active"));
  EXPECT_EQ(cj["status"]["lastSuccessfulTime"], "2026-01-01T00:05:00Z");
  EXPECT_EQ(EventMessages("SawCompletedJob"),
            std::vector<std::string>{"Saw completed job: " + first + ", condition: Complete"});

  // A Job made by hand from the CronJob (kubectl create job --from) is not counted as
  // active; a listed Job that vanished is dropped.
  Json manual = *api_.Get(kJobs, "default", first);
  manual["metadata"] = {{"name", "manual"},
                        {"namespace", "default"},
                        {"ownerReferences", job["metadata"]["ownerReferences"]}};
  manual.erase("status");
  ASSERT_TRUE(api_.Create(kJobs, "default", manual));
  ASSERT_TRUE(Step());
  EXPECT_FALSE(Get()["status"].contains("active"));
  EXPECT_EQ(
      EventMessages("UnexpectedJob"),
      std::vector<std::string>{"Saw a job that the controller did not create or forgot: manual"});
  ASSERT_TRUE(api_.Delete(kJobs, "default", "manual"));

  // Three runs missed while the controller was away: only the latest one runs.
  clock_.Advance(minutes(16));  // 00:21
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames(), (std::vector<std::string>{first, NameFor("2026-01-01T00:20:00Z")}));
  EXPECT_EQ(Get()["status"]["lastScheduleTime"], "2026-01-01T00:20:00Z");
}

TEST_F(CronJobControllerTest, ForbidWaitsAndReplaceDeletesTheRunningJob) {
  ASSERT_TRUE(
      api_.Create(kCronJobs, "default", CronJob("*/5 * * * *", {{"concurrencyPolicy", "Forbid"}})));
  clock_.Advance(minutes(5));
  ASSERT_TRUE(Step());
  clock_.Advance(minutes(5));
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames().size(), 1u);  // 00:10 waits for the 00:05 job
  Finish(NameFor("2026-01-01T00:05:00Z"), "Complete");
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames().size(), 2u);  // then runs

  Json cj = Get();
  cj["spec"]["concurrencyPolicy"] = "Replace";
  ASSERT_TRUE(api_.Update(kCronJobs, "default", "report", cj, ""));
  clock_.Advance(minutes(5));
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames(), (std::vector<std::string>{NameFor("2026-01-01T00:05:00Z"),
                                                  NameFor("2026-01-01T00:15:00Z")}));
  EXPECT_EQ(EventMessages("SuccessfulDelete"),
            std::vector<std::string>{"Deleted job " + NameFor("2026-01-01T00:10:00Z")});
}

TEST_F(CronJobControllerTest, HistoryLimitsDeleteTheOldestFinishedJobs) {
  ASSERT_TRUE(api_.Create(
      kCronJobs, "default",
      CronJob("* * * * *", {{"successfulJobsHistoryLimit", 2}, {"failedJobsHistoryLimit", 1}})));
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(minutes(1));
    ASSERT_TRUE(Step());
    made.push_back(JobNames().back());
    Finish(made.back(), i == 0 || i == 1 ? "Failed" : "Complete");
  }
  ASSERT_TRUE(Step());
  // Kept: the newest failed one (minute 2) and the two newest complete ones (4, 5).
  EXPECT_EQ(JobNames(), (std::vector<std::string>{made[1], made[3], made[4]}));
}

TEST_F(CronJobControllerTest, DeadlineSuspendAndBadSchedules) {
  ASSERT_TRUE(
      api_.Create(kCronJobs, "default", CronJob("*/5 * * * *", {{"startingDeadlineSeconds", 60}})));
  clock_.Advance(minutes(7));  // 00:05 was two minutes ago: past its deadline, not run
  ASSERT_TRUE(Step());
  EXPECT_TRUE(JobNames().empty());
  clock_.Advance(minutes(3) + seconds(30));  // 00:10 half a minute late: within it
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobNames(), std::vector<std::string>{NameFor("2026-01-01T00:10:00Z")});
  ASSERT_TRUE(api_.Delete(kJobs, "default", NameFor("2026-01-01T00:10:00Z")));

  Json cj = Get();
  cj["spec"]["suspend"] = true;
  ASSERT_TRUE(api_.Update(kCronJobs, "default", "report", cj, ""));
  clock_.Advance(minutes(4) + seconds(30));  // 00:15, on time but suspended
  ASSERT_TRUE(Step());
  EXPECT_TRUE(JobNames().empty());

  cj = Get();
  cj["spec"]["suspend"] = false;
  cj["spec"]["schedule"] = "*/5 * * *";
  ASSERT_TRUE(api_.Update(kCronJobs, "default", "report", cj, ""));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(JobNames().empty());
  auto invalid = EventMessages("InvalidSchedule");
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(invalid[0].rfind("invalid schedule: */5 * * * : expected exactly 5 fields", 0), 0u)
      << invalid[0];
}

}  // namespace
}  // namespace capstan::control_plane::controllers

// JobController: completions with parallelism, backoffLimit with the failure back-off,
// activeDeadlineSeconds, Indexed jobs, suspend and resume, work-queue jobs, status.
#include "control-plane/controllers/job_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kJobs;
using client::resources::kPods;

Json Job(Json spec_extra) {
  Json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", "pi"}, {"namespace", "default"}}},
              {"spec",
               {{"selector", {{"matchLabels", {{"job-name", "pi"}}}}},
                {"backoffLimit", 6},
                {"template",
                 {{"metadata", {{"labels", {{"job-name", "pi"}}}}},
                  {"spec",
                   {{"restartPolicy", "Never"},
                    {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}}};
  job["spec"].update(spec_extra);
  return job;
}

class JobControllerTest : public ControllerFixture {
 protected:
  Status Step() {
    Sync(jobs_);
    Sync(pods_);
    auto st = controller_.Sync("default/pi");
    if (!st) ADD_FAILURE() << st.error().message();
    return st;
  }
  std::vector<std::string> PodsIn(const std::string& phase) {
    std::vector<std::string> out;
    for (const auto& p : Items(kPods)) {
      std::string have = p.value("status", Json::object()).value("phase", "");
      if (have == phase) out.push_back(p["metadata"]["name"]);
    }
    return out;
  }
  void SetPhase(const std::string& pod, const std::string& phase) {
    ASSERT_TRUE(api_.Patch(kPods, "default", pod, client::PatchType::kMerge,
                           {{"status", {{"phase", phase}}}}, "status"));
  }
  Json JobStatus() { return (*api_.Get(kJobs, "default", "pi"))["status"]; }
  std::string Condition(const std::string& type) {
    for (const auto& c : JobStatus().value("conditions", Json::array())) {
      if (c["type"] == type) return c["status"].get<std::string>() + " " + c.value("reason", "");
    }
    return "";
  }

  client::Reflector jobs_{&api_, kJobs, "", {}};
  client::Reflector pods_{&api_, kPods, "", {}};
  JobController controller_{&api_, &clock_, &jobs_, &pods_};
};

TEST_F(JobControllerTest, RunsParallelismPodsUntilCompletionsSucceeded) {
  ASSERT_TRUE(api_.Create(kJobs, "default", Job({{"completions", 3}, {"parallelism", 2}})));
  ASSERT_TRUE(Step());
  auto pods = PodsIn("");
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(JobStatus()["active"], 2);
  EXPECT_EQ(JobStatus()["startTime"], "2026-01-01T00:00:00Z");
  SetPhase(pods[0], "Succeeded");
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsIn("").size(), 2u);  // one more: 1 done + 2 running covers 3
  EXPECT_EQ(JobStatus()["succeeded"], 1);
  for (const auto& p : PodsIn("")) SetPhase(p, "Succeeded");
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Condition("Complete"), "True CompletionsReached");
  EXPECT_EQ(JobStatus()["succeeded"], 3);
  EXPECT_EQ(JobStatus()["completionTime"], "2026-01-01T00:00:05Z");
  EXPECT_FALSE(JobStatus().contains("active"));
  EXPECT_EQ(EventMessages("Completed"), std::vector<std::string>{"Job completed"});
  ASSERT_TRUE(Step());  // finished: nothing more happens
  EXPECT_EQ(Items(kPods).size(), 3u);
}

TEST_F(JobControllerTest, FailuresBackOffThenExceedTheBackoffLimit) {
  ASSERT_TRUE(api_.Create(kJobs, "default", Job({{"backoffLimit", 1}})));
  ASSERT_TRUE(Step());
  SetPhase(PodsIn("")[0], "Failed");
  ASSERT_TRUE(Step());
  EXPECT_TRUE(PodsIn("").empty());  // the replacement waits 10 s
  EXPECT_EQ(JobStatus()["failed"], 1);
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(Step());
  ASSERT_EQ(PodsIn("").size(), 1u);
  SetPhase(PodsIn("")[0], "Failed");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Condition("Failed"), "True BackoffLimitExceeded");
  EXPECT_EQ(JobStatus()["failed"], 2);
  EXPECT_EQ(EventMessages("BackoffLimitExceeded"),
            std::vector<std::string>{"Job has reached the specified backoff limit"});
}

TEST_F(JobControllerTest, OnFailureRestartsCountAgainstTheBackoffLimit) {
  Json job = Job({{"backoffLimit", 2}});
  job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure";
  ASSERT_TRUE(api_.Create(kJobs, "default", job));
  ASSERT_TRUE(Step());
  ASSERT_TRUE(api_.Patch(
      kPods, "default", PodsIn("")[0], client::PatchType::kMerge,
      {{"status",
        {{"phase", "Running"}, {"containerStatuses", {{{"name", "c"}, {"restartCount", 2}}}}}}},
      "status"));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Condition("Failed"), "True BackoffLimitExceeded");
  EXPECT_TRUE(PodsIn("Running").empty());  // its pod was deleted
}

TEST_F(JobControllerTest, ActiveDeadlineEndsTheJobAndItsPods) {
  ASSERT_TRUE(api_.Create(kJobs, "default", Job({{"activeDeadlineSeconds", 30}})));
  ASSERT_TRUE(Step());
  ASSERT_EQ(PodsIn("").size(), 1u);
  clock_.Advance(std::chrono::seconds(31));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Condition("Failed"), "True DeadlineExceeded");
  EXPECT_TRUE(Items(kPods).empty());
  EXPECT_EQ(EventMessages("SuccessfulDelete").size(), 1u);
}

TEST_F(JobControllerTest, IndexedJobsCompleteEachIndexOnce) {
  ASSERT_TRUE(
      api_.Create(kJobs, "default",
                  Job({{"completions", 3}, {"parallelism", 2}, {"completionMode", "Indexed"}})));
  ASSERT_TRUE(Step());
  std::map<std::string, std::string> by_index;  // index -> pod
  for (const auto& p : Items(kPods)) {
    std::string index = p["metadata"]["annotations"][kJobCompletionIndex];
    by_index[index] = p["metadata"]["name"];
    EXPECT_EQ(p["metadata"]["labels"][kJobCompletionIndex], index);
    EXPECT_EQ(p["spec"]["hostname"], "pi-" + index);
    EXPECT_EQ(p["spec"]["containers"][0]["env"][0]["name"], "JOB_COMPLETION_INDEX");
    EXPECT_EQ(p["metadata"]["name"].get<std::string>().rfind("pi-" + index + "-", 0), 0u);
  }
  EXPECT_EQ(by_index.size(), 2u);
  EXPECT_TRUE(by_index.contains("0") && by_index.contains("1"));
  SetPhase(by_index["1"], "Succeeded");
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobStatus()["completedIndexes"], "1");
  std::set<std::string> running;
  for (const auto& p : Items(kPods)) {
    if (!p.value("status", Json::object()).contains("phase"))
      running.insert(p["metadata"]["annotations"][kJobCompletionIndex]);
  }
  EXPECT_EQ(running, (std::set<std::string>{"0", "2"}));
  for (const auto& p : PodsIn("")) SetPhase(p, "Succeeded");
  ASSERT_TRUE(Step());
  EXPECT_EQ(JobStatus()["completedIndexes"], "0-2");
  EXPECT_EQ(Condition("Complete"), "True CompletionsReached");
}

TEST_F(JobControllerTest, LoweringParallelismOfAnIndexedJobStopsTheExcess) {
  ASSERT_TRUE(
      api_.Create(kJobs, "default",
                  Job({{"completions", 4}, {"parallelism", 3}, {"completionMode", "Indexed"}})));
  ASSERT_TRUE(Step());
  ASSERT_EQ(Items(kPods).size(), 3u);
  ASSERT_TRUE(api_.Patch(kJobs, "default", "pi", client::PatchType::kMerge,
                         {{"spec", {{"parallelism", 1}}}}, ""));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 1u);
  ASSERT_TRUE(Step());  // and no index is started again in their place
  EXPECT_EQ(Items(kPods).size(), 1u);
}

TEST_F(JobControllerTest, SuspendStopsThePodsAndResumeStartsThemAgain) {
  ASSERT_TRUE(api_.Create(kJobs, "default", Job({{"parallelism", 2}, {"completions", 2}})));
  ASSERT_TRUE(Step());
  ASSERT_EQ(Items(kPods).size(), 2u);
  ASSERT_TRUE(api_.Patch(kJobs, "default", "pi", client::PatchType::kMerge,
                         {{"spec", {{"suspend", true}}}}, ""));
  ASSERT_TRUE(Step());
  EXPECT_TRUE(Items(kPods).empty());
  EXPECT_EQ(Condition("Suspended"), "True JobSuspended");
  ASSERT_TRUE(api_.Patch(kJobs, "default", "pi", client::PatchType::kMerge,
                         {{"spec", {{"suspend", false}}}}, ""));
  ASSERT_TRUE(Step());
  EXPECT_EQ(Items(kPods).size(), 2u);
  EXPECT_EQ(Condition("Suspended"), "False JobResumed");
}

TEST_F(JobControllerTest, AWorkQueueJobCompletesWhenOneSucceededAndTheRestFinished) {
  Json job = Job({{"parallelism", 2}});
  job["spec"]["completions"] = nullptr;
  ASSERT_TRUE(api_.Create(kJobs, "default", job));
  ASSERT_TRUE(Step());
  auto pods = PodsIn("");
  ASSERT_EQ(pods.size(), 2u);
  SetPhase(pods[0], "Succeeded");
  ASSERT_TRUE(Step());
  EXPECT_EQ(PodsIn("").size(), 1u);  // no new pod once one succeeded
  EXPECT_EQ(Condition("Complete"), "");
  SetPhase(pods[1], "Succeeded");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Condition("Complete"), "True CompletionsReached");
}

}  // namespace
}  // namespace capstan::control_plane::controllers

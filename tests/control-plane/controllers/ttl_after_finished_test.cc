// TtlAfterFinishedController: a finished Job goes ttlSecondsAfterFinished after its end, in
// the foreground; one still running, or without a TTL, stays.
#include "control-plane/controllers/ttl_after_finished_controller.h"

#include "tests/control-plane/controllers/fixture.h"

namespace capstan::control_plane::controllers {
namespace {

using client::resources::kJobs;

Json Job(const std::string& name, Json ttl, const char* finished_as) {
  Json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", name}, {"namespace", "default"}}},
              {"spec", Json::object()}};
  if (!ttl.is_null()) job["spec"]["ttlSecondsAfterFinished"] = ttl;
  if (finished_as) {
    job["status"] = {{"conditions",
                      {{{"type", finished_as},
                        {"status", "True"},
                        {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  }
  return job;
}

class TtlAfterFinishedTest : public ControllerFixture {
 protected:
  void SyncAll() {
    Sync(jobs_);
    for (const char* name : {"done", "failed", "running", "kept"}) {
      ASSERT_TRUE(controller_.Sync(std::string("default/") + name));
    }
  }
  bool Exists(const char* name) { return api_.Get(kJobs, "default", name).has_value(); }
  bool Deleting(const char* name) {
    auto job = api_.Get(kJobs, "default", name);
    return job && (*job)["metadata"].contains("deletionTimestamp");
  }

  client::Reflector jobs_{&api_, kJobs, "", {}};
  TtlAfterFinishedController controller_{&api_, &clock_, &jobs_};
};

TEST_F(TtlAfterFinishedTest, FinishedJobsGoWhenTheirTimeComes) {
  ASSERT_TRUE(api_.Create(kJobs, "default", Job("done", 60, "Complete")));
  ASSERT_TRUE(api_.Create(kJobs, "default", Job("failed", 0, "Failed")));
  ASSERT_TRUE(api_.Create(kJobs, "default", Job("running", 0, nullptr)));
  ASSERT_TRUE(api_.Create(kJobs, "default", Job("kept", nullptr, "Complete")));
  SyncAll();
  // A TTL of 0: at once, in the foreground (the fake keeps it while its finalizer holds).
  EXPECT_TRUE(Deleting("failed"));
  EXPECT_FALSE(Deleting("done"));
  EXPECT_TRUE(Exists("running"));
  EXPECT_FALSE(Deleting("kept"));

  clock_.Advance(std::chrono::seconds(59));
  SyncAll();
  EXPECT_FALSE(Deleting("done"));
  clock_.Advance(std::chrono::seconds(1));
  SyncAll();
  EXPECT_TRUE(Deleting("done"));
  EXPECT_FALSE(Deleting("running"));
  EXPECT_FALSE(Deleting("kept"));
}

}  // namespace
}  // namespace capstan::control_plane::controllers

#include "control-plane/controllers/ttl_after_finished_controller.h"

#include <algorithm>
#include <climits>

#include "api/k8s/meta.h"
#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("ttl-after-finished");

// When the Job finished: its Complete or Failed condition's transition time.
std::optional<WallTime> FinishedAt(const Json& job) {
  for (const auto& c : Field(job, {"status", "conditions"})) {
    std::string type = StringOf(Field(c, {"type"}));
    if ((type != "Complete" && type != "Failed") || StringOf(Field(c, {"status"})) != "True") {
      continue;
    }
    auto t = api::k8s::ParseTime(StringOf(Field(c, {"lastTransitionTime"})));
    if (t) return *t;
    auto done = api::k8s::ParseTime(StringOf(Field(job, {"status", "completionTime"})));
    if (done) return *done;
  }
  return std::nullopt;
}

}  // namespace

TtlAfterFinishedController::TtlAfterFinishedController(client::ApiClient* api, const Clock* clock,
                                                       client::Reflector* jobs)
    : Controller(clock, "ttl-after-finished-controller"), api_(api), jobs_(*jobs) {
  auto enqueue = [this](const Json& job) {
    if (Field(job, {"spec", "ttlSecondsAfterFinished"}).is_number_integer()) queue_.Add(KeyOf(job));
  };
  jobs_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& j) { enqueue(j); }, {}});
}

Status TtlAfterFinishedController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto job = jobs_.Get(ns, name);
  if (!job || !Field(*job, {"metadata", "deletionTimestamp"}).is_null()) return Ok();
  const Json& ttl = Field(*job, {"spec", "ttlSecondsAfterFinished"});
  if (!ttl.is_number_integer()) return Ok();
  auto finished = FinishedAt(*job);
  if (!finished) return Ok();  // its end will bring it back here
  // Clamped to int32, as validation bounds it: a huge value must not wrap into the past.
  int64_t seconds = std::clamp<int64_t>(ttl.get<int64_t>(), 0, INT32_MAX);
  WallTime expires = *finished + std::chrono::seconds(seconds);
  WallTime now = clock_->Now();
  if (expires > now) {
    queue_.AddAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(expires - now) +
                             std::chrono::milliseconds(100));
    return Ok();
  }
  // The cache may be behind a change to the TTL: decide on the live object.
  auto live = api_->Get(client::resources::kJobs, ns, name);
  if (!live) return live.error().code() == Code::kNotFound ? Ok() : Fail(live.error());
  if (Field(*live, {"metadata", "uid"}) != Field(*job, {"metadata", "uid"}) ||
      Field(*live, {"spec", "ttlSecondsAfterFinished"}) != ttl) {
    queue_.Add(key);
    return Ok();
  }
  kLog.Info("deleting a finished job whose TTL expired", {{"job", key}});
  auto st = api_->Delete(client::resources::kJobs, ns, name, -1, "Foreground");
  if (!st && st.error().code() != Code::kNotFound) return st;
  return Ok();
}

}  // namespace capstan::control_plane::controllers

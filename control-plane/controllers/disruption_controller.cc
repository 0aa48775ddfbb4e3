#include "control-plane/controllers/disruption_controller.h"

#include <set>

#include "api/k8s/labels.h"
#include "api/k8s/meta.h"
#include "control-plane/controllers/deployment_util.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using client::resources::kPodDisruptionBudgets;
// An evicted pod still shown as running stops counting against the budget this long.
constexpr auto kDisruptedPodTimeout = std::chrono::minutes(2);

}  // namespace

DisruptionController::DisruptionController(client::ApiClient* api, const Clock* clock,
                                           client::Reflector* budgets, client::Reflector* pods)
    : Controller(clock, "disruption-controller"), api_(api), budgets_(*budgets), pods_(*pods) {
  auto enqueue = [this](const Json& b) { queue_.Add(KeyOf(b)); };
  budgets_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& b) { enqueue(b); }, {}});
  // A pod's change concerns the budgets of its namespace that select it.
  auto pod_changed = [this](const Json& pod) {
    std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
    budgets_.ForEach([&](const Json& b) {
      if (StringOf(Field(b, {"metadata", "namespace"})) != ns) return;
      auto selector = api::k8s::LabelSelector::FromJson(Field(b, {"spec", "selector"}));
      if (selector && selector->MatchesObject(pod)) queue_.Add(KeyOf(b));
    });
  };
  pods_.AddEventHandler(
      {pod_changed, [pod_changed](const Json&, const Json& p) { pod_changed(p); }, pod_changed});
}

int64_t DisruptionController::ExpectedPods(const std::vector<Json>& pods) {
  int64_t expected = 0;
  std::set<std::string> seen;  // controller uids counted
  for (const auto& pod : pods) {
    auto ref = ControllerRefOf(pod);
    if (!ref) {
      ++expected;
      continue;
    }
    if (!seen.insert(ref->uid).second) continue;
    std::optional<client::Resource> resource;
    if (ref->kind == "ReplicaSet") resource = client::resources::kReplicaSets;
    if (ref->kind == "StatefulSet") resource = client::resources::kStatefulSets;
    if (ref->kind == "ReplicationController") {
      resource = client::resources::kReplicationControllers;
    }
    auto owner =
        resource ? api_->Get(*resource, StringOf(Field(pod, {"metadata", "namespace"})), ref->name)
                 : Result<Json>(std::unexpected(Error(Code::kNotFound, "")));
    expected += owner ? IntField(*owner, {"spec", "replicas"}, 1) : 1;
  }
  return expected;
}

Status DisruptionController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = budgets_.Get(ns, name);
  if (!cached) return Ok();
  const Json& pdb = *cached;
  WallTime now = clock_->Now();
  auto selector = api::k8s::LabelSelector::FromJson(Field(pdb, {"spec", "selector"}));
  std::vector<Json> pods;
  if (selector) {
    pods_.ForEach([&](const Json& pod) {
      if (StringOf(Field(pod, {"metadata", "namespace"})) == ns && selector->MatchesObject(pod)) {
        pods.push_back(pod);
      }
    });
  }

  // Evictions granted whose pods are still there and not yet going.
  Json disrupted = Json::object();
  std::optional<WallTime> next_expiry;
  for (const auto& [pod_name, when] : Field(pdb, {"status", "disruptedPods"}).items()) {
    auto at = api::k8s::ParseTime(StringOf(when));
    if (!at || *at + kDisruptedPodTimeout <= now) continue;
    auto it = std::find_if(pods.begin(), pods.end(), [&](const Json& p) {
      return StringOf(Field(p, {"metadata", "name"})) == pod_name &&
             Field(p, {"metadata", "deletionTimestamp"}).is_null();
    });
    if (it == pods.end()) continue;
    disrupted[pod_name] = when;
    if (!next_expiry || *at + kDisruptedPodTimeout < *next_expiry) {
      next_expiry = *at + kDisruptedPodTimeout;
    }
  }
  int64_t healthy = 0;
  for (const auto& pod : pods) {
    if (!Field(pod, {"metadata", "deletionTimestamp"}).is_null() || !IsPodReady(pod)) continue;
    if (disrupted.contains(StringOf(Field(pod, {"metadata", "name"})))) continue;
    ++healthy;
  }

  const Json& min_available = Field(pdb, {"spec", "minAvailable"});
  const Json& max_unavailable = Field(pdb, {"spec", "maxUnavailable"});
  int64_t expected = 0, desired = 0;
  if (min_available.is_number_integer()) {
    expected = static_cast<int64_t>(pods.size());
    desired = min_available.get<int64_t>();
  } else if (!max_unavailable.is_null()) {
    expected = ExpectedPods(pods);
    desired = expected - ScaledValue(max_unavailable, expected, true, 0);
  } else {
    expected = ExpectedPods(pods);
    desired = ScaledValue(min_available, expected, true, 0);
  }
  desired = std::max<int64_t>(0, desired);
  int64_t allowed = std::max<int64_t>(0, healthy - desired);

  Json status = Field(pdb, {"status"}).is_object() ? pdb["status"] : Json::object();
  Json before = status;
  status["observedGeneration"] = IntField(pdb, {"metadata", "generation"}, 0);
  status["expectedPods"] = expected;
  status["desiredHealthy"] = desired;
  status["currentHealthy"] = healthy;
  status["disruptionsAllowed"] = allowed;
  status["disruptedPods"] = disrupted;
  if (disrupted.empty()) status.erase("disruptedPods");
  std::string reason = allowed > 0 ? "SufficientPods" : "InsufficientPods";
  std::string value = allowed > 0 ? "True" : "False";
  Json condition = {{"type", "DisruptionAllowed"},
                    {"status", value},
                    {"reason", reason},
                    {"message", ""},
                    {"observedGeneration", status["observedGeneration"]},
                    {"lastTransitionTime", api::k8s::FormatTime(now)}};
  for (const auto& c : Field(before, {"conditions"})) {
    if (StringOf(Field(c, {"type"})) == "DisruptionAllowed" &&
        StringOf(Field(c, {"status"})) == value) {
      condition["lastTransitionTime"] = Field(c, {"lastTransitionTime"});
    }
  }
  status["conditions"] = Json::array({condition});
  if (next_expiry) {
    queue_.AddAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(*next_expiry - now) +
                             std::chrono::milliseconds(100));
  }
  if (status == before) return Ok();
  // Not PutStatus: its retry would write this status over an eviction that just used a
  // disruption up. A conflict fails the sync; the retry counts again from fresh caches.
  Json updated = pdb;
  updated["status"] = status;
  auto written = api_->Update(kPodDisruptionBudgets, ns, name, updated, "status");
  if (!written && written.error().code() != Code::kNotFound) return Fail(written.error());
  return Ok();
}

}  // namespace capstan::control_plane::controllers

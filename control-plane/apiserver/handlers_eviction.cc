// pods/eviction: a delete that honours PodDisruptionBudgets, as kube-apiserver's eviction
// REST does. A pod that is not running yet, has ended or is already going is evicted at
// once; otherwise the one budget selecting it must allow a disruption, which the eviction
// uses up (status.disruptionsAllowed decremented, the pod listed in disruptedPods until
// the disruption controller sees it gone). With none left: 429, which `kubectl drain`
// retries. More than one budget: 500, as upstream.
#include <fmt/format.h>

#include "api/k8s/labels.h"
#include "control-plane/apiserver/handlers.h"

namespace capstan::control_plane::apiserver::internal {
namespace {

ApiError TooManyRequests(const std::string& cause) {
  ApiError e;
  e.code = 429;
  e.reason = "TooManyRequests";
  e.message = "Cannot evict pod as it would violate the pod's disruption budget.";
  e.causes.push_back({"DisruptionBudget", "", cause});
  return e;
}

// Whether the pod can go without asking its budget (upstream's canIgnorePDB).
bool IgnoresBudget(const Json& pod) {
  if (!Lookup(pod, {"metadata", "deletionTimestamp"}).is_null()) return true;
  std::string phase = StringOr(Lookup(pod, {"status", "phase"}));
  return phase == "Succeeded" || phase == "Failed" || phase == "Pending";
}

bool Ready(const Json& pod) {
  const Json& conditions = Lookup(pod, {"status", "conditions"});
  if (!conditions.is_array()) return false;
  for (const auto& cond : conditions) {
    if (cond.is_object() && StringOr(Lookup(cond, {"type"})) == "Ready") {
      return StringOr(Lookup(cond, {"status"})) == "True";
    }
  }
  return false;
}

int64_t IntAt(const Json& pdb, const char* field) {
  const Json& v = Lookup(pdb, {"status", field});
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

// Uses up one disruption of the budget selecting `pod`, if there is one. A pod that is not
// Ready goes without using one when the budget is already met (unhealthyPodEvictionPolicy
// IfHealthyBudget, the default) or always (AlwaysAllow), as upstream: a crash-looping pod
// must not hold a drain back.
ApiResult<void> TakeDisruption(const HandlerContext& c, const Json& pod) {
  auto budgets = c.resources.Find("policy", "v1", "poddisruptionbudgets");
  if (!budgets) return {};
  CAPSTAN_ASSIGN_OR_RETURN(Json list, c.registry.List(*budgets, {c.info.namespace_}));
  std::vector<const Json*> selecting;
  for (const auto& pdb : list["items"]) {
    auto selector = api::k8s::LabelSelector::FromJson(Lookup(pdb, {"spec", "selector"}));
    if (selector && selector->MatchesObject(pod)) selecting.push_back(&pdb);
  }
  if (selecting.empty()) return {};
  if (selecting.size() > 1) {
    return std::unexpected(InternalError(
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
        "not support."));
  }
  std::string name = MetaString(*selecting[0], "name");
  auto taken = c.registry.GuaranteedUpdate(
      *budgets, c.info.namespace_, name, "status", DryRun(c.info),
      [&](const Json& pdb) -> ApiResult<Json> {
        int64_t generation = Lookup(pdb, {"metadata", "generation"}).is_number_integer()
                                 ? Lookup(pdb, {"metadata", "generation"}).get<int64_t>()
                                 : 0;
        const Json& observed = Lookup(pdb, {"status", "observedGeneration"});
        if (!observed.is_number_integer() || observed.get<int64_t>() < generation) {
          return std::unexpected(TooManyRequests(fmt::format(
              "The disruption budget {} is still being processed by the server.", name)));
        }
        if (!Ready(pod)) {
          std::string policy = StringOr(Lookup(pdb, {"spec", "unhealthyPodEvictionPolicy"}));
          if (policy == "AlwaysAllow" ||
              IntAt(pdb, "currentHealthy") >= IntAt(pdb, "desiredHealthy")) {
            return pdb;  // unchanged: nothing used up
          }
        }
        int64_t left = IntAt(pdb, "disruptionsAllowed");
        if (left <= 0) {
          return std::unexpected(TooManyRequests(
              fmt::format("The disruption budget {} needs {} healthy pods and has {} currently",
                          name, IntAt(pdb, "desiredHealthy"), IntAt(pdb, "currentHealthy"))));
        }
        Json next = pdb;
        next["status"]["disruptionsAllowed"] = left - 1;
        if (!next["status"]["disruptedPods"].is_object()) {
          next["status"]["disruptedPods"] = Json::object();
        }
        next["status"]["disruptedPods"][c.info.name] = FormatApiTime(c.clock.Now());
        return next;
      });
  if (!taken) return std::unexpected(taken.error());
  return {};
}

}  // namespace

void HandleEviction(const HandlerContext& c, const Json& body) {
  auto pod = c.registry.Get(c.resource, c.info.namespace_, c.info.name);
  if (!pod) return RespondError(c.writer, pod.error());
  if (!IgnoresBudget(*pod)) {
    if (auto taken = TakeDisruption(c, *pod); !taken) return RespondError(c.writer, taken.error());
  }
  DeleteOptions options;
  const Json& grace = Lookup(body, {"deleteOptions", "gracePeriodSeconds"});
  if (grace.is_number_integer()) options.grace_period_seconds = grace.get<int64_t>();
  options.dry_run = DryRun(c.info);
  auto result = c.registry.Delete(c.resource, c.info.namespace_, c.info.name, options);
  if (!result) return RespondError(c.writer, result.error());
  RespondSuccess(c.writer, 201);
}

}  // namespace capstan::control_plane::apiserver::internal

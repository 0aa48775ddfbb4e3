#include "control-plane/apiserver/priority_admission.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "control-plane/apiserver/object_util.h"

namespace capstan::control_plane::apiserver {
namespace {

constexpr char kPrefix[] = "/registry/scheduling.k8s.io/priorityclasses/";
constexpr char kDefaultPolicy[] = "PreemptLowerPriority";

Json PriorityClass(const std::string& name, int64_t value, const std::string& description) {
  return {{"apiVersion", "scheduling.k8s.io/v1"}, {"kind", "PriorityClass"},
          {"metadata", {{"name", name}}},         {"value", value},
          {"description", description},           {"preemptionPolicy", kDefaultPolicy}};
}

bool GlobalDefault(const Json& pc) {
  const Json& d = pc.is_object() ? pc.value("globalDefault", Json()) : Json();
  return d.is_boolean() && d.get<bool>();
}

// The value a class gives (a stored class passed validation; a hostile one counts as 0).
int32_t ValueOf(const Json& pc) {
  const Json& v = pc.is_object() ? pc.value("value", Json()) : Json();
  if (!v.is_number_integer()) return 0;
  return static_cast<int32_t>(std::clamp<int64_t>(v.get<int64_t>(), INT32_MIN, INT32_MAX));
}

std::string PolicyOf(const Json& pc) {
  std::string p = StringOr(pc.is_object() ? pc.value("preemptionPolicy", Json()) : Json());
  return p.empty() ? kDefaultPolicy : p;
}

std::vector<Json> StoredClasses(storage::Store* store) {
  std::vector<Json> out;
  auto list = store->List(kPrefix, {});
  if (!list) return out;
  for (const auto& kv : list->items) out.push_back(Json::parse(kv.value, nullptr, false));
  return out;
}

ApiError PodForbidden(const Json& pod, const std::string& why) {
  return ForbiddenError("", "pods", MetaString(pod, "name"), why);
}

}  // namespace

std::vector<Json> SystemPriorityClasses() {
  return {PriorityClass("system-node-critical", 2000001000,
                        "Used for system critical pods that must not be moved from their current "
                        "node."),
          PriorityClass("system-cluster-critical", 2000000000,
                        "Used for system critical pods that must run in the cluster, but can be "
                        "moved to another node if necessary.")};
}

ApiResult<void> AdmitPodPriority(storage::Store* store, Json& pod) {
  Json& spec = pod["spec"];
  if (!spec.is_object()) return {};
  std::string name = StringOr(spec.value("priorityClassName", Json()));
  int32_t priority = 0;
  std::string policy = kDefaultPolicy;
  if (name.empty()) {
    // The global default: the highest-valued class so marked.
    const Json* best = nullptr;
    std::vector<Json> classes = StoredClasses(store);
    for (const auto& pc : classes) {
      if (GlobalDefault(pc) && (!best || ValueOf(pc) > ValueOf(*best))) best = &pc;
    }
    if (best) {
      priority = ValueOf(*best);
      policy = PolicyOf(*best);
      spec["priorityClassName"] = MetaString(*best, "name");
    }
  } else {
    auto kv = store->Get(kPrefix + name);
    if (!kv) {
      return std::unexpected(
          PodForbidden(pod, fmt::format("no PriorityClass with name {} was found", name)));
    }
    Json pc = Json::parse(kv->value, nullptr, false);
    priority = ValueOf(pc);
    policy = PolicyOf(pc);
  }
  const Json& given = spec.value("priority", Json());
  if (!given.is_null() && (!given.is_number_integer() || given.get<int64_t>() != priority)) {
    return std::unexpected(PodForbidden(
        pod, fmt::format("the integer value of priority ({}) must not be provided in pod spec; "
                         "priority admission controller computed {} from the given PriorityClass "
                         "name",
                         given.dump(), priority)));
  }
  std::string given_policy = StringOr(spec.value("preemptionPolicy", Json()));
  if (!given_policy.empty() && given_policy != policy) {
    return std::unexpected(PodForbidden(
        pod, fmt::format("the string value of PreemptionPolicy ({}) must not be provided in pod "
                         "spec; priority admission controller computed {} from the given "
                         "PriorityClass name",
                         given_policy, policy)));
  }
  spec["priority"] = priority;
  spec["preemptionPolicy"] = policy;
  return {};
}

ApiResult<void> AdmitPriorityClass(storage::Store* store, const Json& priority_class) {
  std::string name = MetaString(priority_class, "name");
  if (name.rfind("system-", 0) == 0) {
    bool builtin = false;
    for (const auto& pc : SystemPriorityClasses()) builtin |= MetaString(pc, "name") == name;
    if (!builtin) {
      return std::unexpected(InvalidError(
          "scheduling.k8s.io", "PriorityClass", name,
          {Forbidden("metadata.name",
                     "priority class names with 'system-' prefix are reserved for system use "
                     "only")}));
    }
  } else if (ValueOf(priority_class) > kHighestUserDefinablePriority) {
    return std::unexpected(InvalidError(
        "scheduling.k8s.io", "PriorityClass", name,
        {Forbidden("value", fmt::format("maximum allowed value of a user defined priority is {}",
                                        kHighestUserDefinablePriority))}));
  }
  if (GlobalDefault(priority_class)) {
    for (const auto& pc : StoredClasses(store)) {
      if (GlobalDefault(pc) && MetaString(pc, "name") != name) {
        return std::unexpected(ForbiddenError(
            "scheduling.k8s.io", "priorityclasses", name,
            fmt::format("PriorityClass {} is already marked as default. Only one default can "
                        "exist",
                        MetaString(pc, "name"))));
      }
    }
  }
  return {};
}

}  // namespace capstan::control_plane::apiserver

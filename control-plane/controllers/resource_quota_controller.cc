#include "control-plane/controllers/resource_quota_controller.h"

#include "api/k8s/codec.h"
#include "api/k8s/quantity.h"
#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
using api::k8s::Quantity;
using client::resources::kResourceQuotas;
constexpr auto kResync = std::chrono::seconds(30);

bool IsMemoryLike(const std::string& resource) {
  return resource.find("memory") != std::string::npos ||
         resource.find("storage") != std::string::npos;
}

// "2", "500m", or bytes as BinarySI ("128Mi").
std::string Format(const std::string& resource, int64_t milli) {
  if (IsMemoryLike(resource)) return api::k8s::FormatBinarySI((milli + 999) / 1000);
  return Quantity::FromMilli(milli).ToString();
}

// A pod's requests or limits (milli-units): containers summed, init containers as maxima.
std::map<std::string, int64_t> PodAmounts(const api::k8s::Pod& pod, bool limits) {
  std::map<std::string, int64_t> sum;
  for (const auto& c : pod.spec.containers) {
    for (const auto& [name, q] : limits ? c.resources.limits : c.resources.requests) {
      sum[name] += q.MilliValue();
    }
  }
  for (const auto& c : pod.spec.init_containers) {
    for (const auto& [name, q] : limits ? c.resources.limits : c.resources.requests) {
      sum[name] = std::max(sum[name], q.MilliValue());
    }
  }
  return sum;
}

struct Counted {
  const client::Resource* resource;
  const char* name;  // the quota's resource name
};
const Counted kObjectCounts[] = {
    {&client::resources::kServices, "services"},
    {&client::resources::kConfigMaps, "configmaps"},
    {&client::resources::kSecrets, "secrets"},
    {&client::resources::kPersistentVolumeClaims, "persistentvolumeclaims"},
    {&client::resources::kReplicationControllers, "replicationcontrollers"},
    {&client::resources::kResourceQuotas, "resourcequotas"},
};

}  // namespace

ResourceQuotaController::ResourceQuotaController(client::ApiClient* api, const Clock* clock,
                                                 client::Reflector* quotas, client::Reflector* pods)
    : Controller(clock, "resourcequota-controller"), api_(api), quotas_(*quotas), pods_(*pods) {
  auto enqueue = [this](const Json& q) { queue_.Add(KeyOf(q)); };
  quotas_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& q) { enqueue(q); }, {}});
  auto pod_changed = [this](const Json& pod) {
    std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
    quotas_.ForEach([&](const Json& q) {
      if (StringOf(Field(q, {"metadata", "namespace"})) == ns) queue_.Add(KeyOf(q));
    });
  };
  pods_.AddEventHandler(
      {pod_changed, [pod_changed](const Json&, const Json& p) { pod_changed(p); }, pod_changed});
}

Status ResourceQuotaController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto cached = quotas_.Get(ns, name);
  if (!cached) return Ok();
  const Json& quota = *cached;
  const Json& hard = Field(quota, {"spec", "hard"});
  queue_.AddAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(kResync));
  if (!hard.is_object()) return Ok();

  std::map<std::string, int64_t> used;  // milli-units
  int64_t pods = 0;
  pods_.ForEach([&](const Json& object) {
    if (StringOf(Field(object, {"metadata", "namespace"})) != ns) return;
    std::string phase = StringOf(Field(object, {"status", "phase"}));
    if (phase == "Succeeded" || phase == "Failed") return;
    auto pod = api::k8s::DecodePod(object);
    if (!pod) return;
    ++pods;
    for (const auto& [r, milli] : PodAmounts(*pod, false)) used["requests." + r] += milli;
    for (const auto& [r, milli] : PodAmounts(*pod, true)) used["limits." + r] += milli;
  });
  used["pods"] = used["count/pods"] = pods * 1000;
  for (const char* r : {"cpu", "memory", "ephemeral-storage"})
    used[r] = used["requests." + std::string(r)];

  for (const auto& [resource, quota_name] : kObjectCounts) {
    std::string count_name =
        "count/" + resource->plural + (resource->group.empty() ? "" : "." + resource->group);
    if (!hard.contains(quota_name) && !hard.contains(count_name) &&
        !(resource->plural == "services" &&
          (hard.contains("services.nodeports") || hard.contains("services.loadbalancers"))) &&
        !(resource->plural == "persistentvolumeclaims" && hard.contains("requests.storage"))) {
      continue;  // not asked for: not listed
    }
    CAPSTAN_ASSIGN_OR_RETURN(Json list, api_->List(*resource, ns, {}));
    int64_t n = 0;
    for (const auto& item : list["items"]) {
      ++n;
      if (resource->plural == "services") {
        std::string type = StringOf(Field(item, {"spec", "type"}));
        if (type == "NodePort" || type == "LoadBalancer") {
          for (const auto& port : Field(item, {"spec", "ports"})) {
            if (Field(port, {"nodePort"}).is_number_integer() || type == "NodePort") {
              used["services.nodeports"] += 1000;
            }
          }
        }
        if (type == "LoadBalancer") used["services.loadbalancers"] += 1000;
      }
      if (resource->plural == "persistentvolumeclaims") {
        auto q =
            Quantity::Parse(StringOf(Field(item, {"spec", "resources", "requests", "storage"})));
        if (q) used["requests.storage"] += q->MilliValue();
      }
    }
    used[quota_name] = used[count_name] = n * 1000;
  }

  Json status_used = Json::object();
  for (const auto& [resource, limit] : hard.items()) {
    status_used[resource] = Format(resource, used.contains(resource) ? used[resource] : 0);
  }
  Json status = {{"hard", hard}, {"used", status_used}};
  if (Field(quota, {"status"}) == status) return Ok();
  return PutStatus(api_, kResourceQuotas, quota, status);
}

}  // namespace capstan::control_plane::controllers

#include "control-plane/controllers/node_lifecycle_controller.h"

#include <utility>

#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("node-lifecycle");

constexpr const char* kLeaseNamespace = "kube-node-lease";
// The conditions a kubelet owns, which go Unknown when it stops reporting them.
constexpr const char* kKubeletConditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                              "PIDPressure"};

const Json* FindCondition(const Json& conditions, const std::string& type) {
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (StringOf(Field(c, {"type"})) == type) return &c;
  }
  return nullptr;
}

std::string ReadyStatus(const Json& node) {
  const Json* ready = FindCondition(Field(node, {"status", "conditions"}), "Ready");
  return ready ? StringOf(Field(*ready, {"status"})) : "";
}

}  // namespace

NodeLifecycleController::NodeLifecycleController(client::ApiClient* api, const Clock* clock,
                                                 client::Reflector* nodes,
                                                 client::Reflector* leases, client::Reflector* pods,
                                                 Options options)
    : Controller(clock, "node-lifecycle-controller"),
      api_(api),
      nodes_(*nodes),
      leases_(*leases),
      pods_(*pods),
      options_(options),
      events_(api, clock, "node-controller") {
  // Only new nodes need enqueuing: every sync re-queues its node for the next pass.
  nodes_.AddEventHandler({[this](const Json& n) { queue_.Add(KeyOf(n)); }, {}, {}});
}

Status NodeLifecycleController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto node = nodes_.Get("", name);
  if (!node) {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeats_.erase(name);
    return Ok();
  }
  queue_.AddAfter(key, options_.monitor_period);

  std::string probe;
  if (auto lease = leases_.Get(kLeaseNamespace, name)) {
    probe = StringOf(Field(*lease, {"spec", "renewTime"}));
  }
  if (const Json* ready = FindCondition(Field(*node, {"status", "conditions"}), "Ready")) {
    probe += "|" + StringOf(Field(*ready, {"lastHeartbeatTime"}));
  }
  auto now = clock_->Monotonic();
  bool silent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = heartbeats_.try_emplace(name, Heartbeat{probe, now});
    if (!inserted && it->second.probe != probe) it->second = {probe, now};
    silent = now - it->second.observed > options_.grace_period;
  }
  if (!silent) return Ok();
  if (ReadyStatus(*node) != "Unknown") {
    if (Status st = MarkUnknown(*node); !st) return st;
  }
  MarkPodsNotReady(name);
  return Ok();
}

Status NodeLifecycleController::MarkUnknown(const Json& node) {
  std::string now = FormatRfc3339(clock_->Now());
  Json updated = node;
  Json& conditions = updated["status"]["conditions"];
  if (!conditions.is_array()) conditions = Json::array();
  for (const char* type : kKubeletConditions) {
    Json* existing = nullptr;
    for (auto& c : conditions) {
      if (StringOf(Field(c, {"type"})) == type) existing = &c;
    }
    if (!existing) {
      conditions.push_back({{"type", type},
                            {"status", "Unknown"},
                            {"reason", "NodeStatusNeverUpdated"},
                            {"message", "Kubelet never posted node status."},
                            {"lastHeartbeatTime", now},
                            {"lastTransitionTime", now}});
      continue;
    }
    if (StringOf(Field(*existing, {"status"})) == "Unknown") continue;
    (*existing)["status"] = "Unknown";
    (*existing)["reason"] = "NodeStatusUnknown";
    (*existing)["message"] = "Kubelet stopped posting node status.";
    (*existing)["lastTransitionTime"] = now;
  }
  // The node's resourceVersion rides along: if the kubelet just spoke, this write conflicts
  // and the next pass sees it alive.
  std::string name = StringOf(node["metadata"]["name"]);
  auto written = api_->Update(client::resources::kNodes, "", name, updated, "status");
  if (!written) return Fail(written.error());
  kLog.Warn("node stopped posting status", {{"node", name}});
  events_.Record(node, "Normal", "NodeNotReady", "Node " + name + " status is now: NodeNotReady");
  return Ok();
}

void NodeLifecycleController::MarkPodsNotReady(const std::string& node_name) {
  std::vector<Json> ready;
  pods_.ForEach([&](const Json& pod) {
    if (StringOf(Field(pod, {"spec", "nodeName"})) == node_name && IsPodReady(pod)) {
      ready.push_back(pod);
    }
  });
  std::string now = FormatRfc3339(clock_->Now());
  for (auto& pod : ready) {
    for (auto& c : pod["status"]["conditions"]) {
      if (StringOf(Field(c, {"type"})) != "Ready") continue;
      c["status"] = "False";
      c["lastTransitionTime"] = now;
    }
    // A conflict means the pod changed; the next pass looks again.
    auto written = api_->Update(client::resources::kPods, StringOf(pod["metadata"]["namespace"]),
                                StringOf(pod["metadata"]["name"]), pod, "status");
    if (!written && written.error().code() != Code::kFailedPrecondition &&
        written.error().code() != Code::kNotFound) {
      kLog.Warn("could not mark a pod not ready",
                {{"pod", KeyOf(pod)}, {"error", written.error().message()}});
    }
  }
}

}  // namespace capstan::control_plane::controllers

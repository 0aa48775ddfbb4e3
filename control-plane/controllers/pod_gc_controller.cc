#include "control-plane/controllers/pod_gc_controller.h"

#include <algorithm>
#include <set>

#include "api/k8s/scheduling/node_fit.h"
#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
const log::Logger kLog("pod-gc");

bool Terminated(const Json& pod) {
  std::string phase = StringOf(Field(pod, {"status", "phase"}));
  return phase == "Succeeded" || phase == "Failed";
}

bool Deleting(const Json& pod) { return Field(pod, {"metadata", "deletionTimestamp"}).is_string(); }

bool OutOfService(const Json& node) {
  for (const auto& t : api::k8s::scheduling::NodeInfoFromJson(node).taints) {
    if (t.key == "node.kubernetes.io/out-of-service" && t.effect == "NoExecute") return true;
  }
  return false;
}

}  // namespace

PodGcController::PodGcController(client::ApiClient* api, const Clock* clock,
                                 client::Reflector* pods, client::Reflector* nodes, Options options)
    : Controller(clock, "pod-garbage-collector"),
      api_(api),
      pods_(*pods),
      nodes_(*nodes),
      options_(options) {
  queue_.Add(kPassKey);
}

void PodGcController::ForceDelete(const Json& pod, const char* why) {
  std::string ns = StringOf(Field(pod, {"metadata", "namespace"}));
  std::string name = StringOf(Field(pod, {"metadata", "name"}));
  Status st = api_->Delete(client::resources::kPods, ns, name, 0);
  if (!st && st.error().code() != Code::kNotFound) {
    kLog.Warn("could not delete a pod",
              {{"pod", ns + "/" + name}, {"error", st.error().message()}});
    return;
  }
  kLog.Info("deleted a pod", {{"pod", ns + "/" + name}, {"why", why}});
}

bool PodGcController::NodeGone(const std::string& node) {
  auto now = clock_->Monotonic();
  auto since = missing_nodes_.try_emplace(node, now).first->second;
  if (now - since < options_.orphan_quarantine) return false;
  // The informer may lag: only a NotFound from the server itself condemns the pods.
  auto read = api_->Get(client::resources::kNodes, "", node);
  if (read) {
    missing_nodes_.erase(node);
    return false;
  }
  return read.error().code() == Code::kNotFound;
}

Status PodGcController::Sync(const std::string& key) {
  if (key != kPassKey) return Ok();
  queue_.AddAfter(kPassKey, options_.period);
  std::vector<Json> pods = pods_.List();

  std::vector<Json> terminated;
  std::set<std::string> still_missing;
  for (const auto& pod : pods) {
    std::string node_name = StringOf(Field(pod, {"spec", "nodeName"}));
    if (node_name.empty()) {
      if (Deleting(pod)) ForceDelete(pod, "terminating and never scheduled");
      continue;
    }
    auto node = nodes_.Get("", node_name);
    if (!node) {
      still_missing.insert(node_name);
      if (NodeGone(node_name)) ForceDelete(pod, "its node is gone");
      continue;
    }
    if (Deleting(pod) && OutOfService(*node)) {
      ForceDelete(pod, "terminating on an out-of-service node");
      continue;
    }
    if (Terminated(pod) && !Deleting(pod)) terminated.push_back(pod);
  }
  // Forget nodes that came back or have no pods left.
  for (auto it = missing_nodes_.begin(); it != missing_nodes_.end();) {
    it = still_missing.count(it->first) ? std::next(it) : missing_nodes_.erase(it);
  }

  int64_t excess = static_cast<int64_t>(terminated.size()) - options_.terminated_pod_threshold;
  if (excess <= 0) return Ok();
  // RFC 3339 timestamps of one form sort as strings.
  std::sort(terminated.begin(), terminated.end(), [](const Json& a, const Json& b) {
    return StringOf(Field(a, {"metadata", "creationTimestamp"})) <
           StringOf(Field(b, {"metadata", "creationTimestamp"}));
  });
  for (int64_t i = 0; i < excess; ++i)
    ForceDelete(terminated[i], "terminated pods over the threshold");
  return Ok();
}

}  // namespace capstan::control_plane::controllers

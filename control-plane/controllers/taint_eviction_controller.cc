#include "control-plane/controllers/taint_eviction_controller.h"

#include <algorithm>
#include <optional>

#include "api/k8s/codec.h"
#include "api/k8s/scheduling/node_fit.h"
#include "common/log.h"
#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;
namespace scheduling = api::k8s::scheduling;
const log::Logger kLog("taint-eviction");

std::vector<scheduling::Taint> NoExecuteTaints(const Json& node) {
  std::vector<scheduling::Taint> out;
  for (auto& t : scheduling::NodeInfoFromJson(node).taints) {
    if (t.effect == "NoExecute") out.push_back(std::move(t));
  }
  return out;
}

// How long the pod may stay: nullopt when some taint is not tolerated (evict now), -1 for
// ever, else the shortest tolerationSeconds among the tolerations that match a taint
// (upstream's getMinTolerationTime over the first matching toleration of each taint).
std::optional<int64_t> AllowedSeconds(const std::vector<api::k8s::Toleration>& tolerations,
                                      const std::vector<scheduling::Taint>& taints) {
  int64_t allowed = -1;
  for (const auto& taint : taints) {
    auto used = std::find_if(tolerations.begin(), tolerations.end(),
                             [&](const auto& t) { return scheduling::ToleratesTaint({t}, taint); });
    if (used == tolerations.end()) return std::nullopt;
    if (!used->toleration_seconds) continue;
    int64_t seconds = std::max<int64_t>(0, *used->toleration_seconds);
    allowed = allowed < 0 ? seconds : std::min(allowed, seconds);
  }
  return allowed;
}

}  // namespace

TaintEvictionController::TaintEvictionController(client::ApiClient* api, const Clock* clock,
                                                 client::Reflector* pods, client::Reflector* nodes)
    : Controller(clock, "taint-eviction-controller"),
      api_(api),
      pods_(*pods),
      nodes_(*nodes),
      events_(api, clock, "taint-eviction-controller") {
  auto on_pod = [this](const Json& pod) {
    if (!StringOf(Field(pod, {"spec", "nodeName"})).empty()) queue_.Add(KeyOf(pod));
  };
  pods_.AddEventHandler({on_pod, [on_pod](const Json&, const Json& p) { on_pod(p); },
                         [this](const Json& pod) { Cancel(KeyOf(pod), nullptr); }});
  auto on_node = [this](const Json& node) {
    std::string name = StringOf(Field(node, {"metadata", "name"}));
    pods_.ForEach([&](const Json& pod) {
      if (StringOf(Field(pod, {"spec", "nodeName"})) == name) queue_.Add(KeyOf(pod));
    });
  };
  nodes_.AddEventHandler(
      {on_node,
       [on_node](const Json& old_node, const Json& node) {
         if (Field(old_node, {"spec", "taints"}) != Field(node, {"spec", "taints"})) {
           on_node(node);
         }
       },
       {}});
}

void TaintEvictionController::Cancel(const std::string& key, const Json* pod) {
  std::lock_guard<std::mutex> lock(mu_);
  if (exposed_since_.erase(key) && pod) {
    events_.Record(*pod, "Normal", "TaintManagerEviction", "Cancelling deletion of Pod " + key);
  }
}

Status TaintEvictionController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto pod = pods_.Get(ns, name);
  if (!pod || !IsPodActive(*pod)) {
    Cancel(key, nullptr);
    return Ok();
  }
  std::string node_name = StringOf(Field(*pod, {"spec", "nodeName"}));
  auto node = node_name.empty() ? std::nullopt : nodes_.Get("", node_name);
  std::vector<scheduling::Taint> taints = node ? NoExecuteTaints(*node) : decltype(taints){};
  if (taints.empty()) {
    Cancel(key, &*pod);
    return Ok();
  }
  auto decoded = api::k8s::DecodePod(*pod);
  if (!decoded) return Fail(decoded.error());
  std::optional<int64_t> allowed = AllowedSeconds(decoded->spec.tolerations, taints);
  if (allowed && *allowed < 0) {
    Cancel(key, &*pod);
    return Ok();
  }
  if (allowed) {
    WallTime now = clock_->Now();
    WallTime since;
    {
      std::lock_guard<std::mutex> lock(mu_);
      since = exposed_since_.try_emplace(key, now).first->second;
    }
    auto due = since + std::chrono::seconds(*allowed);
    if (now < due) {
      queue_.AddAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
                               std::chrono::milliseconds(1));
      return Ok();
    }
  }
  events_.Record(*pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod " + key);
  Status deleted = api_->Delete(client::resources::kPods, ns, name);
  if (!deleted && deleted.error().code() != Code::kNotFound) return deleted;
  kLog.Info("evicted a pod from a NoExecute node", {{"pod", key}, {"node", node_name}});
  std::lock_guard<std::mutex> lock(mu_);
  exposed_since_.erase(key);
  return Ok();
}

}  // namespace capstan::control_plane::controllers

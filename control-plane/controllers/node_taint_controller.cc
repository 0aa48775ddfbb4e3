#include "control-plane/controllers/node_taint_controller.h"

#include <set>
#include <utility>

#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;

constexpr const char* kNoSchedule = "NoSchedule";
constexpr const char* kNoExecute = "NoExecute";
constexpr const char* kUnschedulable = "node.kubernetes.io/unschedulable";
constexpr const char* kNotReady = "node.kubernetes.io/not-ready";
constexpr const char* kUnreachable = "node.kubernetes.io/unreachable";

// {condition type, status} -> taint key.
const std::map<std::pair<std::string, std::string>, std::string>& ConditionTaints() {
  static const auto* m = new std::map<std::pair<std::string, std::string>, std::string>{
      {{"Ready", "False"}, kNotReady},
      {{"Ready", "Unknown"}, kUnreachable},
      {{"MemoryPressure", "True"}, "node.kubernetes.io/memory-pressure"},
      {{"DiskPressure", "True"}, "node.kubernetes.io/disk-pressure"},
      {{"PIDPressure", "True"}, "node.kubernetes.io/pid-pressure"},
      {{"NetworkUnavailable", "True"}, "node.kubernetes.io/network-unavailable"},
  };
  return *m;
}

// A taint this controller owns: a NoSchedule one of a condition or cordon, or a NoExecute
// one of readiness.
bool Managed(const Json& taint) {
  std::string key = StringOf(Field(taint, {"key"}));
  std::string effect = StringOf(Field(taint, {"effect"}));
  if (effect == kNoExecute) return key == kNotReady || key == kUnreachable;
  if (effect != kNoSchedule) return false;
  if (key == kUnschedulable) return true;
  for (const auto& [condition, taint_key] : ConditionTaints()) {
    if (taint_key == key) return true;
  }
  return false;
}

}  // namespace

Json TaintsForConditions(const Json& node, WallTime now) {
  std::set<std::pair<std::string, std::string>> wanted;  // {key, effect}
  const Json& conditions = Field(node, {"status", "conditions"});
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      auto it =
          ConditionTaints().find({StringOf(Field(c, {"type"})), StringOf(Field(c, {"status"}))});
      if (it == ConditionTaints().end()) continue;
      wanted.insert({it->second, kNoSchedule});
      if (it->first.first == "Ready") wanted.insert({it->second, kNoExecute});
    }
  }
  if (Field(node, {"spec", "unschedulable"}) == true) wanted.insert({kUnschedulable, kNoSchedule});

  Json out = Json::array();
  const Json& taints = Field(node, {"spec", "taints"});
  std::set<std::pair<std::string, std::string>> present;
  if (taints.is_array()) {
    for (const auto& t : taints) {
      if (!Managed(t)) {
        out.push_back(t);
        continue;
      }
      std::pair<std::string, std::string> id{StringOf(Field(t, {"key"})),
                                             StringOf(Field(t, {"effect"}))};
      if (wanted.count(id) && present.insert(id).second) out.push_back(t);
    }
  }
  for (const auto& [key, effect] : wanted) {
    if (present.count({key, effect})) continue;
    Json taint = {{"key", key}, {"effect", effect}};
    // The taint eviction controller counts tolerationSeconds from when it sees the taint;
    // timeAdded is what `kubectl describe node` shows, as upstream sets it.
    if (effect == kNoExecute) taint["timeAdded"] = FormatRfc3339(now);
    out.push_back(std::move(taint));
  }
  return out;
}

NodeTaintController::NodeTaintController(client::ApiClient* api, const Clock* clock,
                                         client::Reflector* nodes)
    : Controller(clock, "node-taint-controller"), api_(api), nodes_(*nodes) {
  auto enqueue = [this](const Json& n) { queue_.Add(KeyOf(n)); };
  nodes_.AddEventHandler({enqueue, [enqueue](const Json&, const Json& n) { enqueue(n); }, {}});
}

Status NodeTaintController::Sync(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto node = nodes_.Get("", name);
  if (!node) return Ok();
  Json taints = TaintsForConditions(*node, clock_->Now());
  const Json& current = Field(*node, {"spec", "taints"});
  if (taints == (current.is_array() ? current : Json::array())) return Ok();
  Json updated = *node;
  if (taints.empty()) {
    updated["spec"].erase("taints");
  } else {
    updated["spec"]["taints"] = std::move(taints);
  }
  auto written = api_->Update(client::resources::kNodes, "", name, updated);
  if (!written) return Fail(written.error());
  return Ok();
}

}  // namespace capstan::control_plane::controllers

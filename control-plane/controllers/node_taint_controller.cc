#include "control-plane/controllers/node_taint_controller.h"

#include <set>
#include <utility>

#include "control-plane/controllers/pod_util.h"

namespace capstan::control_plane::controllers {
namespace {

namespace client = api::k8s::client;

constexpr const char* kNoSchedule = "NoSchedule";
constexpr const char* kUnschedulable = "node.kubernetes.io/unschedulable";

// {condition type, status} -> taint key.
const std::map<std::pair<std::string, std::string>, std::string>& ConditionTaints() {
  static const auto* m = new std::map<std::pair<std::string, std::string>, std::string>{
      {{"Ready", "False"}, "node.kubernetes.io/not-ready"},
      {{"Ready", "Unknown"}, "node.kubernetes.io/unreachable"},
      {{"MemoryPressure", "True"}, "node.kubernetes.io/memory-pressure"},
      {{"DiskPressure", "True"}, "node.kubernetes.io/disk-pressure"},
      {{"PIDPressure", "True"}, "node.kubernetes.io/pid-pressure"},
      {{"NetworkUnavailable", "True"}, "node.kubernetes.io/network-unavailable"},
  };
  return *m;
}

// A NoSchedule taint this controller owns.
bool Managed(const Json& taint) {
  if (StringOf(Field(taint, {"effect"})) != kNoSchedule) return false;
  std::string key = StringOf(Field(taint, {"key"}));
  if (key == kUnschedulable) return true;
  for (const auto& [condition, taint_key] : ConditionTaints()) {
    if (taint_key == key) return true;
  }
  return false;
}

}  // namespace

Json TaintsForConditions(const Json& node) {
  std::set<std::string> wanted;
  const Json& conditions = Field(node, {"status", "conditions"});
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      auto it =
          ConditionTaints().find({StringOf(Field(c, {"type"})), StringOf(Field(c, {"status"}))});
      if (it != ConditionTaints().end()) wanted.insert(it->second);
    }
  }
  if (Field(node, {"spec", "unschedulable"}) == true) wanted.insert(kUnschedulable);

  Json out = Json::array();
  const Json& taints = Field(node, {"spec", "taints"});
  std::set<std::string> present;
  if (taints.is_array()) {
    for (const auto& t : taints) {
      if (!Managed(t)) {
        out.push_back(t);
        continue;
      }
      std::string key = StringOf(Field(t, {"key"}));
      if (wanted.count(key) && present.insert(key).second) out.push_back(t);
    }
  }
  for (const auto& key : wanted) {
    if (!present.count(key)) out.push_back({{"key", key}, {"effect", kNoSchedule}});
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
  Json taints = TaintsForConditions(*node);
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

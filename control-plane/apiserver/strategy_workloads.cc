// Deployments, ReplicaSets, DaemonSets, StatefulSets and Jobs: defaults, the selector that
// must match the template's labels (and may not change), and the pod template's own checks.

#include <fmt/format.h>

#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

void SetIfAbsent(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

// matchLabels and matchExpressions against the template's labels.
bool SelectorMatches(const Json& selector, const Json& labels) {
  if (!selector.is_object()) return false;
  auto label = [&](const std::string& k) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(k) || !labels[k].is_string()) return std::nullopt;
    return labels[k].get<std::string>();
  };
  bool any = false;
  // A named copy: items() of a temporary would dangle in the range-for.
  const Json match_labels = selector.value("matchLabels", Json::object());
  for (const auto& [k, v] : match_labels.items()) {
    any = true;
    if (label(k) != StringOr(v)) return false;
  }
  for (const auto& e : selector.value("matchExpressions", Json::array())) {
    any = true;
    std::string key = StringOr(e.value("key", Json())), op = StringOr(e.value("operator", Json()));
    auto have = label(key);
    bool in = false;
    for (const auto& v : e.value("values", Json::array()))
      in = in || (have && *have == StringOr(v));
    if (op == "In" && !in) return false;
    if (op == "NotIn" && in) return false;
    if (op == "Exists" && !have) return false;
    if (op == "DoesNotExist" && have) return false;
  }
  return any;
}

// Go's %v of a map[string]string, as upstream's message prints the labels.
std::string GoMap(const Json& labels) {
  std::string out = "map[string]string{";
  bool first = true;
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      out += fmt::format("{}\"{}\":\"{}\"", first ? "" : ", ", k, StringOr(v));
      first = false;
    }
  }
  return out + "}";
}

}  // namespace

void WorkloadStrategy::Default(Json& obj) const {
  Json& spec = obj["spec"];
  if (!spec.is_object()) return;
  switch (kind_) {
    case Kind::kDeployment:
      SetIfAbsent(spec, "replicas", 1);
      SetIfAbsent(spec, "strategy", {{"type", "RollingUpdate"}});
      if (StringOr(spec["strategy"].value("type", Json()), "RollingUpdate") == "RollingUpdate") {
        spec["strategy"]["type"] = "RollingUpdate";
        SetIfAbsent(spec["strategy"], "rollingUpdate", Json::object());
        SetIfAbsent(spec["strategy"]["rollingUpdate"], "maxUnavailable", "25%");
        SetIfAbsent(spec["strategy"]["rollingUpdate"], "maxSurge", "25%");
      }
      SetIfAbsent(spec, "revisionHistoryLimit", 10);
      SetIfAbsent(spec, "progressDeadlineSeconds", 600);
      break;
    case Kind::kReplicaSet: SetIfAbsent(spec, "replicas", 1); break;
    case Kind::kDaemonSet:
      SetIfAbsent(spec, "updateStrategy", {{"type", "RollingUpdate"}});
      if (StringOr(spec["updateStrategy"].value("type", Json())) == "RollingUpdate") {
        SetIfAbsent(spec["updateStrategy"], "rollingUpdate", Json::object());
        SetIfAbsent(spec["updateStrategy"]["rollingUpdate"], "maxUnavailable", 1);
        SetIfAbsent(spec["updateStrategy"]["rollingUpdate"], "maxSurge", 0);
      }
      SetIfAbsent(spec, "revisionHistoryLimit", 10);
      break;
    case Kind::kStatefulSet:
      SetIfAbsent(spec, "replicas", 1);
      SetIfAbsent(spec, "podManagementPolicy", "OrderedReady");
      SetIfAbsent(spec, "updateStrategy", {{"type", "RollingUpdate"}});
      if (StringOr(spec["updateStrategy"].value("type", Json())) == "RollingUpdate") {
        SetIfAbsent(spec["updateStrategy"], "rollingUpdate", {{"partition", 0}});
      }
      SetIfAbsent(spec, "revisionHistoryLimit", 10);
      SetIfAbsent(spec, "persistentVolumeClaimRetentionPolicy",
                  {{"whenDeleted", "Retain"}, {"whenScaled", "Retain"}});
      break;
    case Kind::kJob:
      // Upstream's rule: completions defaults to 1 only when parallelism is unset too; a
      // job with parallelism alone is a work queue (done once one pod succeeded).
      if (Lookup(spec, {"completions"}).is_null() && Lookup(spec, {"parallelism"}).is_null()) {
        spec["completions"] = 1;
      }
      SetIfAbsent(spec, "parallelism", 1);
      SetIfAbsent(spec, "backoffLimit", 6);
      SetIfAbsent(spec, "completionMode", "NonIndexed");
      SetIfAbsent(spec, "suspend", false);
      break;
  }
  if (spec.contains("template") && spec["template"].is_object() &&
      spec["template"].contains("spec")) {
    DefaultPodSpec(spec["template"]["spec"]);
  }
}

void WorkloadStrategy::PrepareForCreate(Json& obj) const {
  if (kind_ == Kind::kJob) {
    // The job controller's selector: the job's uid as a label on its pods.
    Json& spec = obj["spec"];
    if (spec.is_object() && !spec.contains("selector") &&
        spec.value("manualSelector", false) == false) {
      std::string uid = MetaString(obj, "uid"), name = MetaString(obj, "name");
      spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
      Json& labels = spec["template"]["metadata"]["labels"];
      labels["batch.kubernetes.io/controller-uid"] = uid;
      labels["batch.kubernetes.io/job-name"] = name;
      labels["controller-uid"] = uid;
      labels["job-name"] = name;
    }
  }
  Default(obj);
  obj["status"] = Json::object();
}

void WorkloadStrategy::PrepareForUpdate(Json& obj, const Json& old) const { Default(obj); }

std::vector<FieldCause> WorkloadStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json());
  if (!spec.is_object()) return {Required("spec")};
  const Json& selector = spec.value("selector", Json());
  const Json& labels = Lookup(spec, {"template", "metadata", "labels"});
  if (!selector.is_object() || (selector.value("matchLabels", Json::object()).empty() &&
                                selector.value("matchExpressions", Json::array()).empty())) {
    out.push_back(Required("spec.selector"));
    if (selector.is_object()) {
      out.push_back(Invalid("spec.selector", selector, "empty selector is invalid for deployment"));
    }
  } else if (!SelectorMatches(selector, labels)) {
    out.push_back(Invalid("spec.template.metadata.labels", GoMap(labels),
                          "`selector` does not match template `labels`"));
  }
  const Json& replicas = spec.value("replicas", Json());
  if (replicas.is_number_integer() && replicas.get<int64_t>() < 0) {
    out.push_back(Invalid("spec.replicas", replicas, "must be greater than or equal to 0"));
  }
  if (kind_ == Kind::kDeployment) {
    std::string type = StringOr(Lookup(spec, {"strategy", "type"}));
    if (!type.empty() && type != "RollingUpdate" && type != "Recreate") {
      out.push_back(NotSupported("spec.strategy.type", type, {"Recreate", "RollingUpdate"}));
    }
    if (type == "Recreate" && Lookup(spec, {"strategy", "rollingUpdate"}).is_object()) {
      out.push_back(Forbidden("spec.strategy.rollingUpdate",
                              "may not be specified when strategy `type` is 'Recreate'"));
    }
  }
  const Json& pod_spec = Lookup(spec, {"template", "spec"});
  ValidatePodSpec(pod_spec, "spec.template.spec", out);
  std::string restart = StringOr(Lookup(pod_spec, {"restartPolicy"}));
  if (kind_ == Kind::kJob) {
    if (restart != "OnFailure" && restart != "Never") {
      out.push_back(
          NotSupported("spec.template.spec.restartPolicy", restart, {"OnFailure", "Never"}));
    }
  } else if (!restart.empty() && restart != "Always") {
    out.push_back(NotSupported("spec.template.spec.restartPolicy", restart, {"Always"}));
  }
  return out;
}

std::vector<FieldCause> WorkloadStrategy::ValidateUpdate(const Json& obj, const Json& old) const {
  std::vector<FieldCause> out = Validate(obj);
  const Json& now = Lookup(obj, {"spec", "selector"});
  const Json& before = Lookup(old, {"spec", "selector"});
  if (!before.is_null() && now != before) {
    out.push_back(Invalid("spec.selector", now, "field is immutable"));
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

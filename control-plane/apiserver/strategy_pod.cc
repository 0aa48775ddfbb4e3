// Pods: defaults (SetDefaults_PodSpec, _Container, _Probe, _Volume and the admission
// plugins that always run: ServiceAccount's name, DefaultTolerationSeconds),
// validation, graceful deletion and the selectable fields.

#include <fmt/format.h>

#include <set>

#include "api/k8s/defaults.h"
#include "api/k8s/validation.h"
#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

void SetIfAbsent(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

void DefaultProbe(Json& probe) {
  if (!probe.is_object()) return;
  SetIfAbsent(probe, "timeoutSeconds", 1);
  SetIfAbsent(probe, "periodSeconds", 10);
  SetIfAbsent(probe, "successThreshold", 1);
  SetIfAbsent(probe, "failureThreshold", 3);
  if (probe.contains("httpGet") && probe["httpGet"].is_object()) {
    SetIfAbsent(probe["httpGet"], "path", "/");
    SetIfAbsent(probe["httpGet"], "scheme", "HTTP");
  }
}

void DefaultContainer(Json& c) {
  if (!c.is_object()) return;
  SetIfAbsent(c, "terminationMessagePath", "/dev/termination-log");
  SetIfAbsent(c, "terminationMessagePolicy", "File");
  SetIfAbsent(c, "imagePullPolicy",
              api::k8s::DefaultImagePullPolicy(StringOr(c.value("image", Json()))));
  SetIfAbsent(c, "resources", Json::object());
  Json& res = c["resources"];
  if (res.is_object() && res.contains("limits") && res["limits"].is_object()) {
    if (!res.contains("requests") || !res["requests"].is_object()) {
      res["requests"] = Json::object();
    }
    for (const auto& [k, v] : res["limits"].items()) {
      if (!res["requests"].contains(k)) res["requests"][k] = v;
    }
  }
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& p : c["ports"]) {
      if (p.is_object()) SetIfAbsent(p, "protocol", "TCP");
    }
  }
  if (c.contains("env") && c["env"].is_array()) {
    for (auto& e : c["env"]) {
      if (e.is_object() && e.contains("valueFrom") && e["valueFrom"].is_object() &&
          e["valueFrom"].contains("fieldRef") && e["valueFrom"]["fieldRef"].is_object()) {
        SetIfAbsent(e["valueFrom"]["fieldRef"], "apiVersion", "v1");
      }
    }
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (c.contains(probe)) DefaultProbe(c[probe]);
  }
}

void DefaultVolume(Json& v) {
  if (!v.is_object()) return;
  bool has_source = false;
  for (const auto& [k, _] : v.items()) {
    if (k != "name") has_source = true;
  }
  if (!has_source) v["emptyDir"] = Json::object();
  for (const char* kind : {"configMap", "secret", "downwardAPI", "projected"}) {
    if (v.contains(kind) && v[kind].is_object()) SetIfAbsent(v[kind], "defaultMode", 420);
  }
  if (v.contains("hostPath") && v["hostPath"].is_object()) SetIfAbsent(v["hostPath"], "type", "");
  // SetDefaults_ServiceAccountTokenProjection (kubectl describe reads it unconditionally).
  if (v.contains("projected") && v["projected"].is_object() && v["projected"].contains("sources") &&
      v["projected"]["sources"].is_array()) {
    for (auto& source : v["projected"]["sources"]) {
      if (source.is_object() && source.contains("serviceAccountToken") &&
          source["serviceAccountToken"].is_object()) {
        SetIfAbsent(source["serviceAccountToken"], "expirationSeconds", 3600);
      }
    }
  }
}

bool IsTerminalPhase(const std::string& phase) { return phase == "Succeeded" || phase == "Failed"; }

void ValidateContainers(const Json& list, const std::string& path, bool required,
                        std::set<std::string>& names, std::vector<FieldCause>& out) {
  if (list.is_null() || (list.is_array() && list.empty())) {
    if (required) out.push_back(Required(path));
    return;
  }
  if (!list.is_array()) {
    out.push_back(Invalid(path, list, "must be a list"));
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& c = list[i];
    std::string at = fmt::format("{}[{}]", path, i);
    std::string name = StringOr(c.value("name", Json()));
    if (name.empty()) {
      out.push_back(Required(at + ".name"));
    } else if (!api::k8s::IsDnsLabel(name)) {
      out.push_back(Invalid(at + ".name", name,
                            "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                            "characters or '-', and must start and end with an alphanumeric "
                            "character (e.g. 'my-name',  or '123-abc', regex used for "
                            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
    } else if (!names.insert(name).second) {
      out.push_back(Duplicate(at + ".name", name));
    }
    if (StringOr(c.value("image", Json())).empty()) out.push_back(Required(at + ".image"));
    std::string policy = StringOr(c.value("imagePullPolicy", Json()));
    if (!policy.empty() && policy != "Always" && policy != "IfNotPresent" && policy != "Never") {
      out.push_back(
          NotSupported(at + ".imagePullPolicy", policy, {"Always", "IfNotPresent", "Never"}));
    }
    const Json& ports = c.value("ports", Json::array());
    for (size_t j = 0; ports.is_array() && j < ports.size(); ++j) {
      std::string pat = fmt::format("{}.ports[{}]", at, j);
      const Json& port = ports[j].value("containerPort", Json());
      if (port.is_null()) {
        out.push_back(Required(pat + ".containerPort"));
      } else if (!port.is_number_integer() || port.get<int64_t>() < 1 ||
                 port.get<int64_t>() > 65535) {
        out.push_back(
            Invalid(pat + ".containerPort", port, "must be between 1 and 65535, inclusive"));
      }
      std::string proto = StringOr(ports[j].value("protocol", Json()));
      if (!proto.empty() && proto != "TCP" && proto != "UDP" && proto != "SCTP") {
        out.push_back(NotSupported(pat + ".protocol", proto, {"SCTP", "TCP", "UDP"}));
      }
    }
  }
}

// The spec with what a pod update may change blanked out, to compare the rest.
Json ImmutablePart(Json spec) {
  for (const char* list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (auto& c : spec[list]) c.erase("image");
    }
  }
  spec.erase("activeDeadlineSeconds");
  spec.erase("tolerations");
  spec.erase("terminationGracePeriodSeconds");
  spec.erase("ephemeralContainers");
  return spec;
}

}  // namespace

void DefaultPodSpec(Json& spec) {
  if (!spec.is_object()) return;
  SetIfAbsent(spec, "restartPolicy", "Always");
  SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
  SetIfAbsent(spec, "dnsPolicy", "ClusterFirst");
  SetIfAbsent(spec, "securityContext", Json::object());
  SetIfAbsent(spec, "schedulerName", "default-scheduler");
  SetIfAbsent(spec, "enableServiceLinks", true);
  for (const char* list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (auto& c : spec[list]) DefaultContainer(c);
    }
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) DefaultVolume(v);
  }
}

void ValidatePodSpec(const Json& spec, const std::string& path, std::vector<FieldCause>& out) {
  if (!spec.is_object()) {
    out.push_back(Required(path));
    return;
  }
  std::set<std::string> names;
  ValidateContainers(spec.value("containers", Json()), path + ".containers", true, names, out);
  ValidateContainers(spec.value("initContainers", Json()), path + ".initContainers", false, names,
                     out);
  std::string restart = StringOr(spec.value("restartPolicy", Json()));
  if (!restart.empty() && restart != "Always" && restart != "OnFailure" && restart != "Never") {
    out.push_back(NotSupported(path + ".restartPolicy", restart, {"Always", "OnFailure", "Never"}));
  }
  std::string dns = StringOr(spec.value("dnsPolicy", Json()));
  if (!dns.empty() && dns != "ClusterFirst" && dns != "ClusterFirstWithHostNet" &&
      dns != "Default" && dns != "None") {
    out.push_back(NotSupported(path + ".dnsPolicy", dns,
                               {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"}));
  }
  std::set<std::string> volumes;
  const Json& vols = spec.value("volumes", Json::array());
  for (size_t i = 0; vols.is_array() && i < vols.size(); ++i) {
    std::string at = fmt::format("{}.volumes[{}].name", path, i);
    std::string name = StringOr(vols[i].value("name", Json()));
    if (name.empty()) {
      out.push_back(Required(at));
    } else if (!volumes.insert(name).second) {
      out.push_back(Duplicate(at, name));
    }
  }
}

void PodStrategy::PrepareForCreate(Json& obj) const {
  Json& spec = obj["spec"];
  DefaultPodSpec(spec);
  if (spec.is_object()) {
    SetIfAbsent(spec, "serviceAccountName", "default");
    spec["serviceAccount"] = spec["serviceAccountName"];
    // DefaultTolerationSeconds: pods ride out a short node outage.
    if (!spec.contains("tolerations") || !spec["tolerations"].is_array()) {
      spec["tolerations"] = Json::array();
    }
    for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      bool present = false;
      for (const auto& t : spec["tolerations"]) {
        if (StringOr(t.value("key", Json())) == key) present = true;
      }
      if (!present) {
        spec["tolerations"].push_back({{"key", key},
                                       {"operator", "Exists"},
                                       {"effect", "NoExecute"},
                                       {"tolerationSeconds", 300}});
      }
    }
  }
  obj["status"] = {{"phase", "Pending"}};
}

void PodStrategy::PrepareForUpdate(Json& obj, const Json& old) const {
  if (obj.contains("spec")) DefaultPodSpec(obj["spec"]);
}

std::vector<FieldCause> PodStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  ValidatePodSpec(obj.value("spec", Json()), "spec", out);
  return out;
}

std::vector<FieldCause> PodStrategy::ValidateUpdate(const Json& obj, const Json& old) const {
  std::vector<FieldCause> out = Validate(obj);
  if (ImmutablePart(obj.value("spec", Json::object())) !=
      ImmutablePart(old.value("spec", Json::object()))) {
    out.push_back(Forbidden(
        "spec",
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
        "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow "
        "it to be set to 1 if it was previously negative)"));
  }
  return out;
}

std::map<std::string, std::string> PodStrategy::SelectableFields(const Json& obj) const {
  return {
      {"spec.nodeName", StringOr(Lookup(obj, {"spec", "nodeName"}))},
      {"spec.restartPolicy", StringOr(Lookup(obj, {"spec", "restartPolicy"}))},
      {"spec.schedulerName", StringOr(Lookup(obj, {"spec", "schedulerName"}))},
      {"spec.serviceAccountName", StringOr(Lookup(obj, {"spec", "serviceAccountName"}))},
      {"spec.hostNetwork", Lookup(obj, {"spec", "hostNetwork"}) == Json(true) ? "true" : "false"},
      {"status.phase", StringOr(Lookup(obj, {"status", "phase"}))},
      {"status.podIP", StringOr(Lookup(obj, {"status", "podIP"}))},
      {"status.nominatedNodeName", StringOr(Lookup(obj, {"status", "nominatedNodeName"}))}};
}

int64_t PodStrategy::DefaultGracePeriod(const Json& obj) const {
  // An unscheduled pod or a finished one has no kubelet to wait for: it goes at once.
  if (StringOr(Lookup(obj, {"spec", "nodeName"})).empty() ||
      IsTerminalPhase(StringOr(Lookup(obj, {"status", "phase"})))) {
    return -1;
  }
  return std::max<int64_t>(IntOr(Lookup(obj, {"spec", "terminationGracePeriodSeconds"}), 30), 1);
}

}  // namespace capstan::control_plane::apiserver

// Namespaces, Services, Nodes, Secrets and Events.

#include <fmt/format.h>

#include <set>

#include "common/pki/base64.h"
#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {
namespace {

void SetIfAbsent(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

bool NeedsNodePorts(const std::string& type) {
  return type == "NodePort" || type == "LoadBalancer";
}

}  // namespace

void NamespaceStrategy::PrepareForCreate(Json& obj) const {
  obj["spec"] = {{"finalizers", {"kubernetes"}}};
  obj["status"] = {{"phase", "Active"}};
  // Every namespace carries its own name as a label (NamespaceDefaultLabelName).
  obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = MetaString(obj, "name");
}

void NamespaceStrategy::PrepareForUpdate(Json& obj, const Json& old) const {
  // spec.finalizers changes only through namespaces/NAME/finalize.
  if (old.contains("spec")) obj["spec"] = old["spec"];
  obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = MetaString(obj, "name");
}

void NamespaceStrategy::PrepareForDelete(Json& obj) const {
  obj["status"]["phase"] = "Terminating";
}

std::map<std::string, std::string> NamespaceStrategy::SelectableFields(const Json& obj) const {
  return {{"status.phase", StringOr(Lookup(obj, {"status", "phase"}))}};
}

void ServiceStrategy::PrepareForCreate(Json& obj) const {
  Json& spec = obj["spec"];
  if (!spec.is_object()) return;
  SetIfAbsent(spec, "type", "ClusterIP");
  std::string type = StringOr(spec["type"]);
  if (type != "ExternalName") {
    SetIfAbsent(spec, "sessionAffinity", "None");
    SetIfAbsent(spec, "ipFamilyPolicy", "SingleStack");
    SetIfAbsent(spec, "ipFamilies", Json::array({"IPv4"}));
    SetIfAbsent(spec, "internalTrafficPolicy", "Cluster");
    // The address itself is ServiceAddresses' to choose (admission).
    std::string ip = StringOr(spec.value("clusterIP", Json()));
    if (!ip.empty()) spec["clusterIPs"] = Json::array({ip});
    if (NeedsNodePorts(type)) SetIfAbsent(spec, "externalTrafficPolicy", "Cluster");
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      SetIfAbsent(p, "protocol", "TCP");
      SetIfAbsent(p, "targetPort", p.value("port", Json()));
    }
  }
  obj["status"] = {{"loadBalancer", Json::object()}};
}

void ServiceStrategy::PrepareForUpdate(Json& obj, const Json& old) const {
  Json& spec = obj["spec"];
  const Json& old_spec = old.value("spec", Json::object());
  if (!spec.is_object()) return;
  // Allocated values stay when the update leaves them out (kubectl apply never sends them).
  for (const char* key : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy",
                          "sessionAffinity", "internalTrafficPolicy", "type"}) {
    if ((!spec.contains(key) || spec[key].is_null()) && old_spec.contains(key)) {
      spec[key] = old_spec[key];
    }
  }
  std::string type = StringOr(spec.value("type", Json()), "ClusterIP");
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      SetIfAbsent(p, "protocol", "TCP");
      SetIfAbsent(p, "targetPort", p.value("port", Json()));
      if (NeedsNodePorts(type) && !p.contains("nodePort")) {
        for (const auto& op : old_spec.value("ports", Json::array())) {
          if (op.value("port", Json()) == p.value("port", Json()) && op.contains("nodePort")) {
            p["nodePort"] = op["nodePort"];
          }
        }
      }
    }
  }
}

std::vector<FieldCause> ServiceStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& spec = obj.value("spec", Json::object());
  std::string type = StringOr(spec.value("type", Json()), "ClusterIP");
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    out.push_back(
        NotSupported("spec.type", type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
  }
  const Json& ports = spec.value("ports", Json::array());
  if (type != "ExternalName" && StringOr(spec.value("clusterIP", Json())) != "None" &&
      (!ports.is_array() || ports.empty())) {
    out.push_back(Required("spec.ports"));
  }
  std::set<std::string> names;
  for (size_t i = 0; ports.is_array() && i < ports.size(); ++i) {
    std::string at = fmt::format("spec.ports[{}]", i);
    const Json& port = ports[i].value("port", Json());
    if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
      out.push_back(Invalid(at + ".port", port, "must be between 1 and 65535, inclusive"));
    }
    std::string name = StringOr(ports[i].value("name", Json()));
    if (ports.size() > 1 && name.empty()) out.push_back(Required(at + ".name"));
    if (!name.empty() && !names.insert(name).second) out.push_back(Duplicate(at + ".name", name));
  }
  return out;
}

std::vector<FieldCause> ServiceStrategy::ValidateUpdate(const Json& obj, const Json& old) const {
  std::vector<FieldCause> out = Validate(obj);
  std::string old_ip = StringOr(Lookup(old, {"spec", "clusterIP"}));
  std::string new_ip = StringOr(Lookup(obj, {"spec", "clusterIP"}));
  if (!old_ip.empty() && old_ip != new_ip &&
      StringOr(Lookup(obj, {"spec", "type"})) != "ExternalName") {
    out.push_back(Invalid("spec.clusterIPs[0]", Json::array({new_ip}), "may not change once set"));
  }
  return out;
}

std::map<std::string, std::string> NodeStrategy::SelectableFields(const Json& obj) const {
  return {{"spec.unschedulable",
           Lookup(obj, {"spec", "unschedulable"}) == Json(true) ? "true" : "false"}};
}

void SecretStrategy::PrepareForCreate(Json& obj) const {
  SetIfAbsent(obj, "type", "Opaque");
  // stringData is write-only: merged into data (base64) and dropped, as upstream does.
  if (obj.contains("stringData") && obj["stringData"].is_object()) {
    for (const auto& [k, v] : obj["stringData"].items()) {
      std::string enc = pki::Base64Encode(StringOr(v));
      obj["data"][k] = enc;
    }
  }
  obj.erase("stringData");
}

std::vector<FieldCause> SecretStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& data = obj.value("data", Json());
  if (!data.is_null() && !data.is_object()) out.push_back(Invalid("data", data, "must be a map"));
  size_t total = 0;
  if (data.is_object()) {
    for (const auto& [k, v] : data.items()) {
      if (!v.is_string()) out.push_back(Invalid("data[" + k + "]", v, "must be base64 data"));
      total += v.is_string() ? v.get<std::string>().size() * 3 / 4 : 0;
    }
  }
  if (total > 1024 * 1024) {
    out.push_back({"FieldValueTooLong", "data", "Too long: must have at most 1048576 bytes"});
  }
  return out;
}

std::map<std::string, std::string> SecretStrategy::SelectableFields(const Json& obj) const {
  return {{"type", StringOr(obj.value("type", Json()))}};
}

std::map<std::string, std::string> EventStrategy::SelectableFields(const Json& obj) const {
  std::map<std::string, std::string> out;
  const Json& involved = obj.value("involvedObject", Json::object());
  for (const char* f :
       {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
    out[std::string("involvedObject.") + f] = StringOr(involved.value(f, Json()));
  }
  out["reason"] = StringOr(obj.value("reason", Json()));
  out["reportingComponent"] = StringOr(obj.value("reportingComponent", Json()));
  out["source"] = StringOr(Lookup(obj, {"source", "component"}));
  out["type"] = StringOr(obj.value("type", Json()));
  return out;
}

}  // namespace capstan::control_plane::apiserver

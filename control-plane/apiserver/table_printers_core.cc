// Printers of the core group: pods, services, namespaces, nodes, config, events, volumes.

#include <fmt/format.h>

#include "api/k8s/meta.h"
#include "control-plane/apiserver/table_printers.h"

namespace capstan::control_plane::apiserver {
namespace {

TableColumn Col(const char* name, int priority = 0, const char* type = "string") {
  return {name, type, std::string(name) == "Name" ? "name" : "", priority, ""};
}

std::optional<WallTime> TimeOf(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  auto t = api::k8s::ParseTime(v.get<std::string>());
  if (!t) return std::nullopt;
  return *t;
}

bool ConditionTrue(const Json& conditions, const char* type) {
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (StringOr(c.value("type", Json())) == type) {
      return StringOr(c.value("status", Json())) == "True";
    }
  }
  return false;
}

Json PodCells(const Json& pod, WallTime now) {
  const Json& spec = pod.value("spec", Json::object());
  const Json& status = pod.value("status", Json::object());
  int64_t restarts = 0;
  int64_t total = spec.value("containers", Json::array()).size();
  int64_t ready = 0;
  std::optional<WallTime> last_restart;
  auto note_restart = [&](const Json& cs) {
    restarts += IntOr(cs.value("restartCount", Json()), 0);
    if (auto t = TimeOf(Lookup(cs, {"lastState", "terminated", "finishedAt"}))) {
      if (!last_restart || *last_restart < *t) last_restart = *t;
    }
  };
  std::string reason = StringOr(status.value("phase", Json()));
  if (!StringOr(status.value("reason", Json())).empty()) reason = status["reason"];

  bool initializing = false;
  const Json& inits = status.value("initContainerStatuses", Json::array());
  size_t init_specs = spec.value("initContainers", Json::array()).size();
  for (size_t i = 0; i < inits.size(); ++i) {
    const Json& cs = inits[i];
    note_restart(cs);
    const Json& term = Lookup(cs, {"state", "terminated"});
    const Json& wait = Lookup(cs, {"state", "waiting"});
    if (term.is_object() && IntOr(term.value("exitCode", Json()), 0) == 0) continue;
    if (term.is_object()) {
      std::string r = StringOr(term.value("reason", Json()));
      if (r.empty()) {
        int64_t signal = IntOr(term.value("signal", Json()), 0);
        r = signal != 0 ? fmt::format("Signal:{}", signal)
                        : fmt::format("ExitCode:{}", IntOr(term.value("exitCode", Json()), 0));
      }
      reason = "Init:" + r;
    } else if (wait.is_object() && !StringOr(wait.value("reason", Json())).empty() &&
               StringOr(wait.value("reason", Json())) != "PodInitializing") {
      reason = "Init:" + StringOr(wait["reason"]);
    } else {
      reason = fmt::format("Init:{}/{}", i, init_specs);
    }
    initializing = true;
    break;
  }
  if (!initializing || ConditionTrue(status.value("conditions", Json()), "Initialized")) {
    restarts = 0;
    last_restart.reset();
    bool has_running = false;
    const Json& statuses = status.value("containerStatuses", Json::array());
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      const Json& cs = *it;
      note_restart(cs);
      const Json& wait = Lookup(cs, {"state", "waiting"});
      const Json& term = Lookup(cs, {"state", "terminated"});
      if (wait.is_object() && !StringOr(wait.value("reason", Json())).empty()) {
        reason = StringOr(wait["reason"]);
      } else if (term.is_object() && !StringOr(term.value("reason", Json())).empty()) {
        reason = StringOr(term["reason"]);
      } else if (term.is_object()) {
        int64_t signal = IntOr(term.value("signal", Json()), 0);
        reason = signal != 0 ? fmt::format("Signal:{}", signal)
                             : fmt::format("ExitCode:{}", IntOr(term.value("exitCode", Json()), 0));
      } else if (cs.value("ready", false) && Lookup(cs, {"state", "running"}).is_object()) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = ConditionTrue(status.value("conditions", Json()), "Ready") ? "Running" : "NotReady";
    }
  }
  bool terminal = reason == "Succeeded" || reason == "Failed" ||
                  StringOr(status.value("phase", Json())) == "Succeeded" ||
                  StringOr(status.value("phase", Json())) == "Failed";
  if (!Lookup(pod, {"metadata", "deletionTimestamp"}).is_null()) {
    if (StringOr(status.value("reason", Json())) == "NodeLost") {
      reason = "Unknown";
    } else if (!terminal) {
      reason = "Terminating";
    }
  }
  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_text = fmt::format(
        "{} ({} ago)", restarts,
        HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *last_restart)));
  }
  std::string ip;
  const Json& ips = status.value("podIPs", Json::array());
  if (ips.is_array() && !ips.empty()) ip = StringOr(ips[0].value("ip", Json()));
  if (ip.empty()) ip = StringOr(status.value("podIP", Json()));
  std::string gates = "<none>";
  const Json& rg = spec.value("readinessGates", Json::array());
  if (rg.is_array() && !rg.empty()) {
    int trues = 0;
    for (const auto& g : rg) {
      if (ConditionTrue(status.value("conditions", Json()),
                        StringOr(g.value("conditionType", Json())).c_str())) {
        ++trues;
      }
    }
    gates = fmt::format("{}/{}", trues, rg.size());
  }
  return Json::array({MetaString(pod, "name"), fmt::format("{}/{}", ready, total), reason,
                      restarts_text, Age(pod, now), OrNone(ip),
                      OrNone(StringOr(spec.value("nodeName", Json()))),
                      OrNone(StringOr(status.value("nominatedNodeName", Json()))), gates});
}

std::string ServicePorts(const Json& ports) {
  if (!ports.is_array() || ports.empty()) return "<none>";
  std::string out;
  for (const auto& p : ports) {
    std::string one = std::to_string(IntOr(p.value("port", Json()), 0));
    if (IntOr(p.value("nodePort", Json()), 0) > 0) {
      one += ":" + std::to_string(IntOr(p["nodePort"], 0));
    }
    one += "/" + StringOr(p.value("protocol", Json()), "TCP");
    out += (out.empty() ? "" : ",") + one;
  }
  return out;
}

std::string ServiceExternalIp(const Json& svc) {
  std::string type = StringOr(Lookup(svc, {"spec", "type"}), "ClusterIP");
  std::vector<std::string> ips;
  for (const auto& ip : Lookup(svc, {"spec", "externalIPs"}).is_array()
                            ? Lookup(svc, {"spec", "externalIPs"})
                            : Json::array()) {
    ips.push_back(StringOr(ip));
  }
  if (type == "ExternalName") return StringOr(Lookup(svc, {"spec", "externalName"}));
  if (type == "LoadBalancer") {
    const Json& ingress = Lookup(svc, {"status", "loadBalancer", "ingress"});
    if (ingress.is_array()) {
      for (const auto& i : ingress) {
        std::string v = StringOr(i.value("ip", Json()));
        if (v.empty()) v = StringOr(i.value("hostname", Json()));
        if (!v.empty()) ips.push_back(v);
      }
    }
    if (ips.empty()) return "<pending>";
  }
  if (ips.empty()) return "<none>";
  std::string out;
  for (const auto& ip : ips) out += (out.empty() ? "" : ",") + ip;
  return out;
}

std::string NodeStatus(const Json& node) {
  std::string status = "Unknown";
  const Json& conditions = Lookup(node, {"status", "conditions"});
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (StringOr(c.value("type", Json())) == "Ready") {
        std::string s = StringOr(c.value("status", Json()));
        // Upstream's printNode: anything but True (Unknown too) reads NotReady.
        status = s == "True" ? "Ready" : "NotReady";
      }
    }
  }
  if (Lookup(node, {"spec", "unschedulable"}) == Json(true)) status += ",SchedulingDisabled";
  return status;
}

std::string NodeRoles(const Json& node) {
  std::vector<std::string> roles;
  const Json& labels = Lookup(node, {"metadata", "labels"});
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      const std::string prefix = "node-role.kubernetes.io/";
      if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size()) {
        roles.push_back(k.substr(prefix.size()));
      } else if (k == "kubernetes.io/role" && v.is_string()) {
        roles.push_back(v.get<std::string>());
      }
    }
  }
  if (roles.empty()) return "<none>";
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::string NodeAddress(const Json& node, const char* type) {
  const Json& addresses = Lookup(node, {"status", "addresses"});
  if (addresses.is_array()) {
    for (const auto& a : addresses) {
      if (StringOr(a.value("type", Json())) == type) return StringOr(a.value("address", Json()));
    }
  }
  return "<none>";
}

size_t CountOf(const Json& v) { return v.is_object() || v.is_array() ? v.size() : 0; }

std::string EndpointsText(const Json& subsets) {
  std::vector<std::string> list;
  if (subsets.is_array()) {
    for (const auto& s : subsets) {
      const Json& ports = s.value("ports", Json::array());
      for (const auto& a : s.value("addresses", Json::array())) {
        std::string ip = StringOr(a.value("ip", Json()));
        if (ports.empty()) {
          list.push_back(ip);
        }
        for (const auto& p : ports) {
          list.push_back(fmt::format("{}:{}", ip, IntOr(p.value("port", Json()), 0)));
        }
      }
    }
  }
  if (list.empty()) return "<none>";
  std::string out;
  for (size_t i = 0; i < list.size() && i < 3; ++i) out += (i ? "," : "") + list[i];
  if (list.size() > 3) out += fmt::format(" + {} more...", list.size() - 3);
  return out;
}

}  // namespace

std::vector<Printer> CorePrinters() {
  std::vector<Printer> out;
  out.push_back(
      {"",
       "Pod",
       {Col("Name"), Col("Ready"), Col("Status"), Col("Restarts"), Col("Age"), Col("IP", 1),
        Col("Node", 1), Col("Nominated Node", 1), Col("Readiness Gates", 1)},
       PodCells});
  out.push_back({"",
                 "Service",
                 {Col("Name"), Col("Type"), Col("Cluster-IP"), Col("External-IP"), Col("Port(s)"),
                  Col("Age"), Col("Selector", 1)},
                 [](const Json& s, WallTime now) {
                   std::string selector;
                   const Json& sel = Lookup(s, {"spec", "selector"});
                   if (sel.is_object()) {
                     for (const auto& [k, v] : sel.items()) {
                       selector += (selector.empty() ? "" : ",") + k + "=" + StringOr(v);
                     }
                   }
                   return Json::array(
                       {MetaString(s, "name"), StringOr(Lookup(s, {"spec", "type"}), "ClusterIP"),
                        OrNone(StringOr(Lookup(s, {"spec", "clusterIP"}))), ServiceExternalIp(s),
                        ServicePorts(Lookup(s, {"spec", "ports"})), Age(s, now), OrNone(selector)});
                 }});
  out.push_back(
      {"", "Namespace", {Col("Name"), Col("Status"), Col("Age")}, [](const Json& n, WallTime now) {
         return Json::array({MetaString(n, "name"),
                             StringOr(Lookup(n, {"status", "phase"}), "Active"), Age(n, now)});
       }});
  out.push_back({"",
                 "Node",
                 {Col("Name"), Col("Status"), Col("Roles"), Col("Age"), Col("Version"),
                  Col("Internal-IP", 1), Col("External-IP", 1), Col("OS-Image", 1),
                  Col("Kernel-Version", 1), Col("Container-Runtime", 1)},
                 [](const Json& n, WallTime now) {
                   const Json& info = Lookup(n, {"status", "nodeInfo"});
                   auto field = [&](const char* f) {
                     return OrNone(StringOr(info.is_object() ? info.value(f, Json()) : Json()));
                   };
                   return Json::array(
                       {MetaString(n, "name"), NodeStatus(n), NodeRoles(n), Age(n, now),
                        StringOr(info.is_object() ? info.value("kubeletVersion", Json()) : Json()),
                        NodeAddress(n, "InternalIP"), NodeAddress(n, "ExternalIP"),
                        field("osImage"), field("kernelVersion"),
                        field("containerRuntimeVersion")});
                 }});
  out.push_back({"",
                 "ConfigMap",
                 {Col("Name"), Col("Data", 0, "integer"), Col("Age")},
                 [](const Json& c, WallTime now) {
                   return Json::array(
                       {MetaString(c, "name"),
                        CountOf(c.value("data", Json())) + CountOf(c.value("binaryData", Json())),
                        Age(c, now)});
                 }});
  out.push_back({"",
                 "Secret",
                 {Col("Name"), Col("Type"), Col("Data", 0, "integer"), Col("Age")},
                 [](const Json& s, WallTime now) {
                   return Json::array({MetaString(s, "name"),
                                       StringOr(s.value("type", Json()), "Opaque"),
                                       CountOf(s.value("data", Json())), Age(s, now)});
                 }});
  out.push_back({"",
                 "ServiceAccount",
                 {Col("Name"), Col("Secrets", 0, "integer"), Col("Age")},
                 [](const Json& s, WallTime now) {
                   return Json::array(
                       {MetaString(s, "name"), CountOf(s.value("secrets", Json())), Age(s, now)});
                 }});
  out.push_back({"",
                 "Endpoints",
                 {Col("Name"), Col("Endpoints"), Col("Age")},
                 [](const Json& e, WallTime now) {
                   return Json::array({MetaString(e, "name"),
                                       EndpointsText(e.value("subsets", Json())), Age(e, now)});
                 }});
  out.push_back({"",
                 "Event",
                 {Col("Last Seen"), Col("Type"), Col("Reason"), Col("Object"), Col("Subobject", 1),
                  Col("Source", 1), Col("Message"), Col("First Seen", 1),
                  Col("Count", 1, "integer"), Col("Name", 1)},
                 [](const Json& e, WallTime now) {
                   Json last = e.value("lastTimestamp", Json());
                   if (!last.is_string()) last = e.value("eventTime", Json());
                   if (!last.is_string()) last = Lookup(e, {"metadata", "creationTimestamp"});
                   Json first = e.value("firstTimestamp", Json());
                   if (!first.is_string()) first = last;
                   const Json& obj = e.value("involvedObject", Json::object());
                   std::string object = fmt::format(
                       "{}/{}",
                       [](std::string k) {
                         for (auto& ch : k) ch = static_cast<char>(::tolower(ch));
                         return k;
                       }(StringOr(obj.value("kind", Json()))),
                       StringOr(obj.value("name", Json())));
                   std::string source = StringOr(Lookup(e, {"source", "component"}));
                   std::string host = StringOr(Lookup(e, {"source", "host"}));
                   if (!host.empty()) source += ", " + host;
                   return Json::array({AgeOf(last, now), StringOr(e.value("type", Json())),
                                       StringOr(e.value("reason", Json())), object,
                                       StringOr(obj.value("fieldPath", Json())), source,
                                       StringOr(e.value("message", Json())), AgeOf(first, now),
                                       IntOr(e.value("count", Json()), 1), MetaString(e, "name")});
                 }});
  out.push_back({"",
                 "PersistentVolumeClaim",
                 {Col("Name"), Col("Status"), Col("Volume"), Col("Capacity"), Col("Access Modes"),
                  Col("StorageClass"), Col("Age"), Col("VolumeMode", 1)},
                 [](const Json& p, WallTime now) {
                   std::string modes;
                   const Json& m = Lookup(p, {"status", "accessModes"});
                   if (m.is_array()) {
                     for (const auto& x : m) {
                       std::string v = StringOr(x);
                       std::string s = v == "ReadWriteOnce"      ? "RWO"
                                       : v == "ReadOnlyMany"     ? "ROX"
                                       : v == "ReadWriteMany"    ? "RWX"
                                       : v == "ReadWriteOncePod" ? "RWOP"
                                                                 : v;
                       modes += (modes.empty() ? "" : ",") + s;
                     }
                   }
                   return Json::array(
                       {MetaString(p, "name"),
                        // A claim being deleted (held by its protection finalizer).
                        Lookup(p, {"metadata", "deletionTimestamp"}).is_null()
                            ? StringOr(Lookup(p, {"status", "phase"}), "Pending")
                            : std::string("Terminating"),
                        StringOr(Lookup(p, {"spec", "volumeName"})),
                        StringOr(Lookup(p, {"status", "capacity", "storage"})), modes,
                        OrNone(StringOr(Lookup(p, {"spec", "storageClassName"}))), Age(p, now),
                        StringOr(Lookup(p, {"spec", "volumeMode"}), "Filesystem")});
                 }});
  out.push_back({"",
                 "ComponentStatus",
                 {Col("Name"), Col("Status"), Col("Message"), Col("Error")},
                 [](const Json& cs, WallTime) {
                   std::string status = "Unknown", message, error;
                   const Json& conditions = cs.value("conditions", Json::array());
                   for (const auto& c : conditions) {
                     if (StringOr(c.value("type", Json())) != "Healthy") continue;
                     status =
                         StringOr(c.value("status", Json())) == "True" ? "Healthy" : "Unhealthy";
                     message = StringOr(c.value("message", Json()));
                     error = StringOr(c.value("error", Json()));
                   }
                   return Json::array({MetaString(cs, "name"), status, message, error});
                 }});
  return out;
}

}  // namespace capstan::control_plane::apiserver

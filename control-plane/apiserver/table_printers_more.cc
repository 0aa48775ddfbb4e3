// Printers of volumes, networking, RBAC, scheduling and policy kinds.

#include <fmt/format.h>

#include "control-plane/apiserver/table_printers.h"

namespace capstan::control_plane::apiserver {
namespace {

TableColumn Col(const char* name, int priority = 0, const char* type = "string") {
  return {name, type, std::string(name) == "Name" ? "name" : "", priority, ""};
}

std::string Joined(const Json& list, const char* field = nullptr) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& v : list) {
    std::string s = field ? StringOr(v.value(field, Json())) : StringOr(v);
    if (!s.empty()) out += (out.empty() ? "" : ",") + s;
  }
  return out;
}

std::string AccessModes(const Json& modes) {
  std::string out;
  if (!modes.is_array()) return out;
  for (const auto& m : modes) {
    std::string v = StringOr(m);
    std::string s = v == "ReadWriteOnce"      ? "RWO"
                    : v == "ReadOnlyMany"     ? "ROX"
                    : v == "ReadWriteMany"    ? "RWX"
                    : v == "ReadWriteOncePod" ? "RWOP"
                                              : v;
    out += (out.empty() ? "" : ",") + s;
  }
  return out;
}

// RoleBinding subjects of one kind, comma-joined (ServiceAccounts as namespace/name).
std::string Subjects(const Json& binding, const std::string& kind) {
  std::string out;
  for (const auto& s : binding.value("subjects", Json::array())) {
    if (StringOr(s.value("kind", Json())) != kind) continue;
    std::string name = StringOr(s.value("name", Json()));
    if (kind == "ServiceAccount") name = StringOr(s.value("namespace", Json())) + "/" + name;
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

Json BindingCells(const Json& b, WallTime now) {
  return Json::array(
      {MetaString(b, "name"),
       StringOr(Lookup(b, {"roleRef", "kind"})) + "/" + StringOr(Lookup(b, {"roleRef", "name"})),
       Age(b, now), Subjects(b, "User"), Subjects(b, "Group"), Subjects(b, "ServiceAccount")});
}

std::string IntOrPercent(const Json& v) {
  if (v.is_null()) return "N/A";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::vector<Printer> MorePrinters() {
  std::vector<Printer> out;
  out.push_back(
      {"",
       "PersistentVolume",
       {Col("Name"), Col("Capacity"), Col("Access Modes"), Col("Reclaim Policy"), Col("Status"),
        Col("Claim"), Col("StorageClass"), Col("VolumeAttributesClass"), Col("Reason"), Col("Age"),
        Col("VolumeMode", 1)},
       [](const Json& pv, WallTime now) {
         std::string claim;
         const Json& ref = Lookup(pv, {"spec", "claimRef"});
         if (ref.is_object()) {
           claim =
               StringOr(ref.value("namespace", Json())) + "/" + StringOr(ref.value("name", Json()));
         }
         return Json::array({MetaString(pv, "name"),
                             StringOr(Lookup(pv, {"spec", "capacity", "storage"})),
                             AccessModes(Lookup(pv, {"spec", "accessModes"})),
                             StringOr(Lookup(pv, {"spec", "persistentVolumeReclaimPolicy"})),
                             Lookup(pv, {"metadata", "deletionTimestamp"}).is_null()
                                 ? StringOr(Lookup(pv, {"status", "phase"}))
                                 : std::string("Terminating"),
                             claim, StringOr(Lookup(pv, {"spec", "storageClassName"})),
                             OrNone(StringOr(Lookup(pv, {"spec", "volumeAttributesClassName"}))),
                             StringOr(Lookup(pv, {"status", "reason"})), Age(pv, now),
                             StringOr(Lookup(pv, {"spec", "volumeMode"}), "Filesystem")});
       }});
  out.push_back(
      {"networking.k8s.io",
       "Ingress",
       {Col("Name"), Col("Class"), Col("Hosts"), Col("Address"), Col("Ports"), Col("Age")},
       [](const Json& ing, WallTime now) {
         std::string hosts = Joined(Lookup(ing, {"spec", "rules"}), "host");
         const Json& lb = Lookup(ing, {"status", "loadBalancer", "ingress"});
         std::string address = Joined(lb, "ip");
         if (address.empty()) address = Joined(lb, "hostname");
         bool tls =
             Lookup(ing, {"spec", "tls"}).is_array() && !Lookup(ing, {"spec", "tls"}).empty();
         return Json::array(
             {MetaString(ing, "name"), OrNone(StringOr(Lookup(ing, {"spec", "ingressClassName"}))),
              hosts.empty() ? "*" : hosts, address, tls ? "80, 443" : "80", Age(ing, now)});
       }});
  out.push_back({"networking.k8s.io",
                 "IngressClass",
                 {Col("Name"), Col("Controller"), Col("Parameters"), Col("Age")},
                 [](const Json& c, WallTime now) {
                   return Json::array({MetaString(c, "name"),
                                       StringOr(Lookup(c, {"spec", "controller"})), "<none>",
                                       Age(c, now)});
                 }});
  out.push_back({"autoscaling",
                 "HorizontalPodAutoscaler",
                 {Col("Name"), Col("Reference"), Col("Targets"), Col("MinPods", 0, "integer"),
                  Col("MaxPods", 0, "integer"), Col("Replicas", 0, "integer"), Col("Age")},
                 [](const Json& h, WallTime now) {
                   const Json& ref = Lookup(h, {"spec", "scaleTargetRef"});
                   std::string reference =
                       StringOr(Lookup(ref, {"kind"})) + "/" + StringOr(Lookup(ref, {"name"}));
                   return Json::array({MetaString(h, "name"), reference, "<unknown>",
                                       IntOr(Lookup(h, {"spec", "minReplicas"}), 1),
                                       IntOr(Lookup(h, {"spec", "maxReplicas"}), 0),
                                       IntOr(Lookup(h, {"status", "currentReplicas"}), 0),
                                       Age(h, now)});
                 }});
  for (const char* kind : {"Role", "ClusterRole"}) {
    out.push_back({"rbac.authorization.k8s.io",
                   kind,
                   {Col("Name"), Col("Created At", 0, "date")},
                   [](const Json& r, WallTime) {
                     return Json::array(
                         {MetaString(r, "name"), Lookup(r, {"metadata", "creationTimestamp"})});
                   }});
  }
  for (const char* kind : {"RoleBinding", "ClusterRoleBinding"}) {
    out.push_back({"rbac.authorization.k8s.io",
                   kind,
                   {Col("Name"), Col("Role"), Col("Age"), Col("Users", 1), Col("Groups", 1),
                    Col("ServiceAccounts", 1)},
                   BindingCells});
  }
  out.push_back({"scheduling.k8s.io",
                 "PriorityClass",
                 {Col("Name"), Col("Value", 0, "integer"), Col("Global-Default", 0, "boolean"),
                  Col("Age"), Col("PreemptionPolicy")},
                 [](const Json& p, WallTime now) {
                   return Json::array(
                       {MetaString(p, "name"), IntOr(p.value("value", Json()), 0),
                        Lookup(p, {"globalDefault"}).is_boolean() && Lookup(p, {"globalDefault"}),
                        Age(p, now),
                        StringOr(p.value("preemptionPolicy", Json()), "PreemptLowerPriority")});
                 }});
  // upstream's printResourceQuota: "resource: used/hard, ..." in name order, limits.* apart.
  out.push_back({"",
                 "ResourceQuota",
                 {Col("Name"), Col("Age"), Col("Request"), Col("Limit")},
                 [](const Json& q, WallTime now) {
                   std::string request, limit;
                   static const Json kNone = Json::object();
                   const Json& spec_hard = Lookup(q, {"spec", "hard"});
                   const Json& hard = spec_hard.is_object() ? spec_hard : kNone;
                   for (const auto& [resource, value] : hard.items()) {
                     auto quantity = [&](const char* field) {
                       return StringOr(Lookup(q, {"status", field, resource.c_str()}), "0");
                     };
                     std::string& column = resource.rfind("limits.", 0) == 0 ? limit : request;
                     column += (column.empty() ? "" : ", ") + resource + ": " + quantity("used") +
                               "/" + quantity("hard");
                   }
                   return Json::array({MetaString(q, "name"), Age(q, now), request, limit});
                 }});
  out.push_back({"policy",
                 "PodDisruptionBudget",
                 {Col("Name"), Col("Min Available"), Col("Max Unavailable"),
                  Col("Allowed Disruptions", 0, "integer"), Col("Age")},
                 [](const Json& p, WallTime now) {
                   return Json::array(
                       {MetaString(p, "name"), IntOrPercent(Lookup(p, {"spec", "minAvailable"})),
                        IntOrPercent(Lookup(p, {"spec", "maxUnavailable"})),
                        IntOr(Lookup(p, {"status", "disruptionsAllowed"}), 0), Age(p, now)});
                 }});
  out.push_back(
      {"discovery.k8s.io",
       "EndpointSlice",
       {Col("Name"), Col("AddressType"), Col("Ports"), Col("Endpoints"), Col("Age")},
       [](const Json& s, WallTime now) {
         std::string ports;
         for (const auto& p : s.value("ports", Json::array())) {
           ports += (ports.empty() ? "" : ",") + std::to_string(IntOr(p.value("port", Json()), 0));
         }
         std::string addresses;
         for (const auto& e : s.value("endpoints", Json::array())) {
           std::string a = Joined(e.value("addresses", Json::array()));
           if (!a.empty()) addresses += (addresses.empty() ? "" : ",") + a;
         }
         return Json::array({MetaString(s, "name"), StringOr(s.value("addressType", Json())),
                             ports.empty() ? "<unset>" : ports,
                             addresses.empty() ? "<unset>" : addresses, Age(s, now)});
       }});
  out.push_back({"certificates.k8s.io",
                 "CertificateSigningRequest",
                 {Col("Name"), Col("Age"), Col("SignerName"), Col("Requestor"),
                  Col("RequestedDuration"), Col("Condition")},
                 [](const Json& c, WallTime now) {
                   // "Approved,Issued", "Denied", or "Pending" while nothing has happened.
                   std::string condition = Joined(Lookup(c, {"status", "conditions"}), "type");
                   if (!Lookup(c, {"status", "certificate"}).is_null()) {
                     condition += condition.empty() ? "Issued" : ",Issued";
                   }
                   const Json& seconds = Lookup(c, {"spec", "expirationSeconds"});
                   std::string duration =
                       seconds.is_number_integer()
                           ? HumanDuration(std::chrono::seconds(seconds.get<int64_t>()))
                           : "<none>";
                   return Json::array({MetaString(c, "name"), Age(c, now),
                                       StringOr(Lookup(c, {"spec", "signerName"})),
                                       StringOr(Lookup(c, {"spec", "username"})), duration,
                                       condition.empty() ? "Pending" : condition});
                 }});
  return out;
}

}  // namespace capstan::control_plane::apiserver

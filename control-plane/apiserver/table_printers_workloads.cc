// Printers of the workload, coordination and storage kinds, and the helpers all share.

#include <fmt/format.h>

#include <mutex>

#include "control-plane/apiserver/table_printers.h"

namespace capstan::control_plane::apiserver {
namespace {

TableColumn Col(const char* name, int priority = 0, const char* type = "string") {
  return {name, type, std::string(name) == "Name" ? "name" : "", priority, ""};
}

int64_t Status(const Json& obj, const char* field) {
  return IntOr(Lookup(obj, {"status", field}), 0);
}

const Json& TemplateSpec(const Json& obj) { return Lookup(obj, {"spec", "template", "spec"}); }

}  // namespace

std::string Age(const Json& obj, WallTime now) {
  return AgeOf(Lookup(obj, {"metadata", "creationTimestamp"}), now);
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

Json EvalSimpleJsonPath(const Json& obj, const std::string& path) {
  const Json* cur = &obj;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') ++i;
    size_t j = path.find('.', i);
    if (j == std::string::npos) j = path.size();
    std::string step = path.substr(i, j - i);
    if (step.empty()) break;
    if (!cur->is_object() || !cur->contains(step)) return nullptr;
    cur = &(*cur)[step];
    i = j;
  }
  return *cur;
}

std::string FormatLabelSelector(const Json& selector) {
  if (!selector.is_object()) return "<none>";
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : ",") + s; };
  // A named copy: items() of a temporary would dangle in the range-for.
  const Json match_labels = selector.value("matchLabels", Json::object());
  for (const auto& [k, v] : match_labels.items()) {
    add(k + "=" + StringOr(v));
  }
  for (const auto& e : selector.value("matchExpressions", Json::array())) {
    std::string key = StringOr(e.value("key", Json()));
    std::string op = StringOr(e.value("operator", Json()));
    std::string values;
    for (const auto& v : e.value("values", Json::array())) {
      values += (values.empty() ? "" : ",") + StringOr(v);
    }
    if (op == "In") add(key + " in (" + values + ")");
    if (op == "NotIn") add(key + " notin (" + values + ")");
    if (op == "Exists") add(key);
    if (op == "DoesNotExist") add("!" + key);
  }
  return out.empty() ? "<none>" : out;
}

std::pair<std::string, std::string> ContainersAndImages(const Json& pod_spec) {
  std::string names, images;
  if (pod_spec.is_object()) {
    for (const auto& c : pod_spec.value("containers", Json::array())) {
      names += (names.empty() ? "" : ",") + StringOr(c.value("name", Json()));
      images += (images.empty() ? "" : ",") + StringOr(c.value("image", Json()));
    }
  }
  return {names, images};
}

std::vector<Printer> WorkloadPrinters() {
  std::vector<Printer> out;
  out.push_back(
      {"apps",
       "Deployment",
       {Col("Name"), Col("Ready"), Col("Up-to-date", 0, "integer"), Col("Available", 0, "integer"),
        Col("Age"), Col("Containers", 1), Col("Images", 1), Col("Selector", 1)},
       [](const Json& d, WallTime now) {
         auto [names, images] = ContainersAndImages(TemplateSpec(d));
         return Json::array({MetaString(d, "name"),
                             fmt::format("{}/{}", Status(d, "readyReplicas"),
                                         IntOr(Lookup(d, {"spec", "replicas"}), 1)),
                             Status(d, "updatedReplicas"), Status(d, "availableReplicas"),
                             Age(d, now), names, images,
                             FormatLabelSelector(Lookup(d, {"spec", "selector"}))});
       }});
  out.push_back({"apps",
                 "ReplicaSet",
                 {Col("Name"), Col("Desired", 0, "integer"), Col("Current", 0, "integer"),
                  Col("Ready", 0, "integer"), Col("Age"), Col("Containers", 1), Col("Images", 1),
                  Col("Selector", 1)},
                 [](const Json& r, WallTime now) {
                   auto [names, images] = ContainersAndImages(TemplateSpec(r));
                   return Json::array(
                       {MetaString(r, "name"), IntOr(Lookup(r, {"spec", "replicas"}), 1),
                        Status(r, "replicas"), Status(r, "readyReplicas"), Age(r, now), names,
                        images, FormatLabelSelector(Lookup(r, {"spec", "selector"}))});
                 }});
  out.push_back({"apps",
                 "DaemonSet",
                 {Col("Name"), Col("Desired", 0, "integer"), Col("Current", 0, "integer"),
                  Col("Ready", 0, "integer"), Col("Up-to-date", 0, "integer"),
                  Col("Available", 0, "integer"), Col("Node Selector"), Col("Age"),
                  Col("Containers", 1), Col("Images", 1), Col("Selector", 1)},
                 [](const Json& d, WallTime now) {
                   auto [names, images] = ContainersAndImages(TemplateSpec(d));
                   std::string selector;
                   const Json& ns = Lookup(d, {"spec", "template", "spec", "nodeSelector"});
                   if (ns.is_object()) {
                     for (const auto& [k, v] : ns.items()) {
                       selector += (selector.empty() ? "" : ",") + k + "=" + StringOr(v);
                     }
                   }
                   return Json::array(
                       {MetaString(d, "name"), Status(d, "desiredNumberScheduled"),
                        Status(d, "currentNumberScheduled"), Status(d, "numberReady"),
                        Status(d, "updatedNumberScheduled"), Status(d, "numberAvailable"),
                        OrNone(selector), Age(d, now), names, images,
                        FormatLabelSelector(Lookup(d, {"spec", "selector"}))});
                 }});
  out.push_back({"apps",
                 "StatefulSet",
                 {Col("Name"), Col("Ready"), Col("Age"), Col("Containers", 1), Col("Images", 1)},
                 [](const Json& s, WallTime now) {
                   auto [names, images] = ContainersAndImages(TemplateSpec(s));
                   return Json::array({MetaString(s, "name"),
                                       fmt::format("{}/{}", Status(s, "readyReplicas"),
                                                   IntOr(Lookup(s, {"spec", "replicas"}), 1)),
                                       Age(s, now), names, images});
                 }});
  out.push_back({"batch",
                 "Job",
                 {Col("Name"), Col("Status"), Col("Completions"), Col("Duration"), Col("Age"),
                  Col("Containers", 1), Col("Images", 1), Col("Selector", 1)},
                 [](const Json& j, WallTime now) {
                   auto [names, images] = ContainersAndImages(TemplateSpec(j));
                   // A work-queue job (no completions) prints "0/1 of 3", as upstream.
                   std::string completions_text =
                       Lookup(j, {"spec", "completions"}).is_null()
                           ? fmt::format("{}/1 of {}", Status(j, "succeeded"),
                                         IntOr(Lookup(j, {"spec", "parallelism"}), 1))
                           : fmt::format("{}/{}", Status(j, "succeeded"),
                                         IntOr(Lookup(j, {"spec", "completions"}), 1));
                   std::string status = "Running";
                   const Json& conds = Lookup(j, {"status", "conditions"});
                   if (conds.is_array()) {
                     for (const auto& c : conds) {
                       if (StringOr(c.value("status", Json())) != "True") continue;
                       std::string t = StringOr(c.value("type", Json()));
                       if (t == "Complete") status = "Complete";
                       if (t == "Failed") status = "Failed";
                       if (t == "Suspended") status = "Suspended";
                     }
                   }
                   std::string duration;
                   if (auto start = Lookup(j, {"status", "startTime"}); start.is_string()) {
                     duration = AgeOf(start, now);
                   }
                   return Json::array({MetaString(j, "name"), status, completions_text, duration,
                                       Age(j, now), names, images,
                                       FormatLabelSelector(Lookup(j, {"spec", "selector"}))});
                 }});
  out.push_back({"batch",
                 "CronJob",
                 {Col("Name"), Col("Schedule"), Col("Timezone"), Col("Suspend", 0, "boolean"),
                  Col("Active", 0, "integer"), Col("Last Schedule"), Col("Age")},
                 [](const Json& c, WallTime now) {
                   const Json& last = Lookup(c, {"status", "lastScheduleTime"});
                   return Json::array(
                       {MetaString(c, "name"), StringOr(Lookup(c, {"spec", "schedule"})),
                        OrNone(StringOr(Lookup(c, {"spec", "timeZone"}))),
                        Lookup(c, {"spec", "suspend"}) == Json(true) ? "True" : "False",
                        Lookup(c, {"status", "active"}).is_array()
                            ? Lookup(c, {"status", "active"}).size()
                            : 0,
                        last.is_string() ? AgeOf(last, now) : "<none>", Age(c, now)});
                 }});
  out.push_back({"coordination.k8s.io",
                 "Lease",
                 {Col("Name"), Col("Holder"), Col("Age")},
                 [](const Json& l, WallTime now) {
                   return Json::array({MetaString(l, "name"),
                                       StringOr(Lookup(l, {"spec", "holderIdentity"})),
                                       Age(l, now)});
                 }});
  out.push_back({"storage.k8s.io",
                 "StorageClass",
                 {Col("Name"), Col("Provisioner"), Col("ReclaimPolicy"), Col("VolumeBindingMode"),
                  Col("AllowVolumeExpansion", 0, "boolean"), Col("Age")},
                 [](const Json& s, WallTime now) {
                   std::string name = MetaString(s, "name");
                   if (Lookup(s, {"metadata", "annotations",
                                  "storageclass.kubernetes.io/is-default-class"}) == Json("true")) {
                     name += " (default)";
                   }
                   return Json::array({name, StringOr(s.value("provisioner", Json())),
                                       StringOr(s.value("reclaimPolicy", Json()), "Delete"),
                                       StringOr(s.value("volumeBindingMode", Json()), "Immediate"),
                                       s.value("allowVolumeExpansion", false), Age(s, now)});
                 }});
  out.push_back(
      {"apiextensions.k8s.io",
       "CustomResourceDefinition",
       {Col("Name"), Col("Created At", 0, "date")},
       [](const Json& c, WallTime) {
         return Json::array({MetaString(c, "name"), Lookup(c, {"metadata", "creationTimestamp"})});
       }});
  return out;
}

const Printer* FindPrinter(const ResourceInfo& r) {
  static const std::vector<Printer>* printers = [] {
    auto* all = new std::vector<Printer>(CorePrinters());
    for (auto& p : WorkloadPrinters()) all->push_back(std::move(p));
    for (auto& p : MorePrinters()) all->push_back(std::move(p));
    return all;
  }();
  if (r.custom) return nullptr;
  for (const auto& p : *printers) {
    if (p.group == r.group && p.kind == r.kind) return &p;
  }
  return nullptr;
}

}  // namespace capstan::control_plane::apiserver

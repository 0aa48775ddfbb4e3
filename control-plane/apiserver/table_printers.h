#pragma once
// Internal to table.cc: the per-kind printers (kube-apiserver's pkg/printers/internalversion
// handlers), in table_printers_core.cc, table_printers_workloads.cc and
// table_printers_more.cc.

#include <functional>
#include <string>
#include <vector>

#include "control-plane/apiserver/table.h"

namespace capstan::control_plane::apiserver {

struct Printer {
  std::string group;
  std::string kind;
  std::vector<TableColumn> columns;
  std::function<Json(const Json& obj, WallTime now)> cells;
};

const Printer* FindPrinter(const ResourceInfo& r);
std::vector<Printer> CorePrinters();
std::vector<Printer> WorkloadPrinters();
std::vector<Printer> MorePrinters();

// Helpers the printers share.
std::string Age(const Json& obj, WallTime now);
std::string OrNone(const std::string& s);
// ".spec.replicas"-style paths (dots only, no filters), for CRD printer columns.
Json EvalSimpleJsonPath(const Json& obj, const std::string& path);
// "app=web,tier=fe" from a LabelSelector (matchLabels and matchExpressions).
std::string FormatLabelSelector(const Json& selector);
// Container names and images of a pod template, comma-joined.
std::pair<std::string, std::string> ContainersAndImages(const Json& pod_spec);

}  // namespace capstan::control_plane::apiserver

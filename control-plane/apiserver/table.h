#pragma once
// Server-side printing: objects as meta.k8s.io/v1 Tables with kube-apiserver's columns for
// each kind, so `kubectl get` prints what users know (pods READY, STATUS, RESTARTS, AGE; -o
// wide IP, NODE, ...). Columns of priority 1 are the -o wide ones.

#include <string>
#include <vector>

#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

struct TableColumn {
  std::string name;
  std::string type;    // string, integer, number, boolean, date
  std::string format;  // "name" for the name column
  int priority = 0;
  std::string description;
};

// The columns of a kind, and one object's cells in that order.
std::vector<TableColumn> ColumnsFor(const ResourceInfo& r);
Json CellsFor(const ResourceInfo& r, const Json& obj, WallTime now);

// `include_object`: "None", "Metadata" (PartialObjectMetadata) or "Object".
Json ObjectToTable(const ResourceInfo& r, const Json& obj, WallTime now,
                   const std::string& include_object);
Json ListToTable(const ResourceInfo& r, const Json& list, WallTime now,
                 const std::string& include_object);

}  // namespace capstan::control_plane::apiserver

#include "control-plane/apiserver/table.h"

#include "control-plane/apiserver/table_printers.h"

namespace capstan::control_plane::apiserver {
namespace {

Json ColumnJson(const TableColumn& c) {
  return {{"name", c.name},
          {"type", c.type},
          {"format", c.format},
          {"description", c.description},
          {"priority", c.priority}};
}

Json RowObject(const Json& obj, const std::string& include_object) {
  if (include_object == "None") return nullptr;
  if (include_object == "Object") return obj;
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", obj.value("metadata", Json::object())}};
}

Json Table(const ResourceInfo& r, const Json& items, const Json& list_meta, WallTime now,
           const std::string& include_object) {
  Json columns = Json::array();
  for (const auto& c : ColumnsFor(r)) columns.push_back(ColumnJson(c));
  Json rows = Json::array();
  for (const auto& obj : items) {
    rows.push_back({{"cells", CellsFor(r, obj, now)}, {"object", RowObject(obj, include_object)}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", list_meta},
          {"columnDefinitions", columns},
          {"rows", rows}};
}

}  // namespace

std::vector<TableColumn> ColumnsFor(const ResourceInfo& r) {
  if (const Printer* p = FindPrinter(r)) return p->columns;
  std::vector<TableColumn> cols = {{"Name", "string", "name", 0, "Name of the resource"}};
  for (const auto& c : r.custom_columns) {
    cols.push_back({c.name, c.type, "", c.priority, c.description});
  }
  cols.push_back({"Age", "date", "", 0, "CreationTimestamp"});
  return cols;
}

Json CellsFor(const ResourceInfo& r, const Json& obj, WallTime now) {
  if (const Printer* p = FindPrinter(r)) return p->cells(obj, now);
  Json cells = Json::array({MetaString(obj, "name")});
  // Dates print as ages ("5m"), as kube-apiserver's CRD table convertor does.
  for (const auto& c : r.custom_columns) {
    Json value = EvalSimpleJsonPath(obj, c.json_path);
    cells.push_back(c.type == "date" && value.is_string() ? Json(AgeOf(value, now)) : value);
  }
  cells.push_back(AgeOf(Lookup(obj, {"metadata", "creationTimestamp"}), now));
  return cells;
}

Json ObjectToTable(const ResourceInfo& r, const Json& obj, WallTime now,
                   const std::string& include_object) {
  Json meta = {{"resourceVersion", MetaString(obj, "resourceVersion")}};
  return Table(r, Json::array({obj}), meta, now, include_object);
}

Json ListToTable(const ResourceInfo& r, const Json& list, WallTime now,
                 const std::string& include_object) {
  return Table(r, list.value("items", Json::array()), list.value("metadata", Json::object()), now,
               include_object);
}

}  // namespace capstan::control_plane::apiserver

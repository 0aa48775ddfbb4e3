#pragma once
// The schema model: what the schema files (api/k8s/schema/*.schema, FORMAT.md) say, parsed and
// resolved. The generator turns it into OpenAPI definitions; nothing at run time links it.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace capstan::api::k8s::schema {

// A field's type: a primitive ("string", "int32", ..., "object", "any"), a list or string-keyed
// map of an element type, or a named type (resolved to its definition name).
struct TypeRef {
  enum class Shape { kPrimitive, kList, kMap, kNamed };
  Shape shape = Shape::kPrimitive;
  std::string name;              // the primitive, or the named type's definition name once resolved
  std::vector<TypeRef> element;  // one element for kList and kMap

  const TypeRef& Element() const { return element.front(); }
};

struct FieldDef {
  std::string name;
  TypeRef type;
  std::string description;
  bool required = false;
  std::optional<std::string> default_json;  // a JSON literal
  std::vector<std::string> enum_values;
  // Strategic merge patch: "merge", "retainKeys", "merge,retainKeys", "replace" or "".
  std::string patch_strategy;
  std::string patch_merge_key;
  std::string list_type;  // "atomic", "set", "map" or ""
  std::vector<std::string> list_map_keys;
  int line = 0;
};

struct TypeDef {
  std::string name;        // "DeploymentSpec"
  std::string definition;  // "io.k8s.api.apps.v1.DeploymentSpec"
  std::string description;
  std::string file;
  int line = 0;
  bool open = false;  // not every field listed: unknown fields are accepted under it
  // Set for kinds: the group ("" for core) and version.
  std::optional<std::pair<std::string, std::string>> group_version;
  std::vector<FieldDef> fields;
};

struct SchemaModel {
  std::map<std::string, TypeDef> types;  // by definition name
};

struct SchemaFile {
  std::string path;  // for messages
  std::string text;
};

// Parses and resolves every file together (type names are global; a name resolves to the
// same file's type first). Errors name the file and line.
Result<SchemaModel> ParseSchemaFiles(const std::vector<SchemaFile>& files);

}  // namespace capstan::api::k8s::schema

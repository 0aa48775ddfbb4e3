#pragma once
// The OpenAPI definitions generated from the schema files (FORMAT.md) at build time: what
// `kubectl explain`, field validation and strategic merge patch know of the built-in kinds.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::api::k8s::schema {

// Every definition, by name ("io.k8s.api.apps.v1.Deployment"), OpenAPI v2 style: references
// are "#/definitions/<name>". Parsed once; immutable.
const nlohmann::json& Definitions();

// The definition of a built-in kind (group "" is core), or "" when the schema has none.
std::string DefinitionFor(std::string_view group, std::string_view version, std::string_view kind);

// The name a "$ref" points at ("#/definitions/X" -> "X"), or "" when `schema` is no reference.
std::string ReferencedDefinition(const nlohmann::json& schema);

// `root` and every definition it references, directly or not, sorted.
std::vector<std::string> DefinitionClosure(const std::string& root);

}  // namespace capstan::api::k8s::schema

#pragma once
// The schema model as OpenAPI v2 definitions ({"io.k8s.api.apps.v1.Deployment": {...}, ...}),
// with kube-apiserver's extensions: x-kubernetes-group-version-kind on kinds, the patch
// strategy and merge key, list types, and x-kubernetes-preserve-unknown-fields where a type
// is free-form or open. References are "#/definitions/<name>"; the API server rewrites them
// for OpenAPI v3.

#include <nlohmann/json.hpp>

#include "api/k8s/schema/gen/schema_model.h"

namespace capstan::api::k8s::schema {

nlohmann::json OpenApiDefinitions(const SchemaModel& model);

}  // namespace capstan::api::k8s::schema

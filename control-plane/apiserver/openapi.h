#pragma once
// /openapi/v2 and /openapi/v3: the documents kubectl reads to decide how to validate
// (server-side fieldValidation when the operations declare the parameter), to compute
// patches and to `explain`. Built from the ResourceRegistry.

#include <string>

#include "control-plane/apiserver/http_server.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

// Answers an /openapi/... path; false when it names no document.
bool ServeOpenApi(const std::string& path, const ResourceRegistry& registry,
                  ResponseWriter& writer);

// The v2 document in gnostic's protobuf form (openapi_v2.Document), as kubectl 1.27 asks
// for it: the swagger version and info, no paths or definitions. kubectl then validates on
// the client with no schema (it skips kinds it has none for) and computes apply patches from
// its built-in types, which is what it does for every built-in kind anyway.
std::string OpenApiV2Protobuf();

}  // namespace capstan::control_plane::apiserver

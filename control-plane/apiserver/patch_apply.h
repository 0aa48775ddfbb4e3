#pragma once
// PATCH bodies applied to a stored object by their content type: JSON patch (RFC 6902),
// JSON merge patch (RFC 7386), and strategic merge patch with the kind's merge keys and
// strategies (415 for kinds without them, e.g. custom resources, as upstream).

#include <string>

#include "control-plane/apiserver/registry.h"

namespace capstan::control_plane::apiserver {

ApiResult<Json> ApplyPatch(const ResourceInfo& r, const std::string& content_type,
                           const Json& current, const std::string& body);

}  // namespace capstan::control_plane::apiserver

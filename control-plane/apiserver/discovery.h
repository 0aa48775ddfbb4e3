#pragma once
// Discovery documents, all built from the ResourceRegistry: /api (APIVersions), /apis
// (APIGroupList), /apis/GROUP (APIGroup), /api/v1 and /apis/GROUP/VERSION
// (APIResourceList with verbs, short names, categories and subresources), and the
// aggregated forms kubectl 1.27+ asks for first (apidiscovery.k8s.io v2 and v2beta1
// APIGroupDiscoveryList).

#include <optional>
#include <string>

#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

Json ApiVersionsDocument(const std::string& server_address);
Json ApiGroupListDocument(const ResourceRegistry& registry);
std::optional<Json> ApiGroupDocument(const ResourceRegistry& registry, const std::string& group);
std::optional<Json> ApiResourceListDocument(const ResourceRegistry& registry,
                                            const std::string& group, const std::string& version);
// `legacy`: the core group alone (for /api); else every named group (for /apis).
// `api_version`: "apidiscovery.k8s.io/v2" or "apidiscovery.k8s.io/v2beta1".
Json AggregatedDiscoveryDocument(const ResourceRegistry& registry, bool legacy,
                                 const std::string& api_version);

}  // namespace capstan::control_plane::apiserver

#pragma once
// CustomResourceDefinitions served: a stored CRD becomes ResourceInfo entries (one per
// served version) in the ResourceRegistry, so its kind appears in discovery and its objects
// go through the same generic registry; deleting the CRD removes its objects.

#include <vector>

#include "control-plane/apiserver/registry.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

std::vector<ResourceInfo> ResourcesOfCrd(const Json& crd);

// Registers every stored CRD (at start).
void LoadCrds(ResourceRegistry& resources, Registry& registry);
// After a CRD was written (`deleted`: removed): serve what it now defines, and on removal
// delete its objects.
void ApplyCrdChange(ResourceRegistry& resources, Registry& registry, const Json& crd, bool deleted);

// Checks a custom object against the CRD version's openAPIV3Schema (types, required,
// enums, bounds, unknown fields where the schema does not preserve them).
std::vector<FieldCause> ValidateAgainstSchema(const Json& schema, const Json& value,
                                              const std::string& path);

}  // namespace capstan::control_plane::apiserver

#pragma once
// The checks every object passes whatever its kind: apiVersion/kind match the URL, and
// ObjectMeta as apimachinery's ValidateObjectMeta (name, namespace, labels, annotations,
// finalizers, ownerReferences).

#include <vector>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/object_util.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

// 400 when the body's apiVersion or kind is not the resource's; fills them in when absent.
std::expected<void, ApiError> CheckTypeMeta(const ResourceInfo& r, Json& obj);

std::vector<FieldCause> ValidateObjectMeta(const ResourceInfo& r, const Json& obj);

}  // namespace capstan::control_plane::apiserver

#pragma once
// The `fieldValidation` query parameter of create, update and patch: what to do with fields a
// built-in kind's schema does not know. Strict refuses the request (400), Warn (the default,
// as in kube-apiserver 1.27+) answers with a Warning header per field, Ignore says nothing.
// Unlike kube-apiserver, which drops them while decoding, capstan-server keeps unknown fields
// as sent (DESIGN.md: objects stay JSON); validation only decides whether to say so.

#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control-plane/apiserver/api_status.h"
#include "control-plane/apiserver/request_info.h"
#include "control-plane/apiserver/resource_info.h"

namespace capstan::control_plane::apiserver {

enum class FieldValidation { kIgnore, kWarn, kStrict };

// The request's directive; 400 for a value other than Ignore, Warn and Strict.
std::expected<FieldValidation, ApiError> FieldValidationOf(const RequestInfo& info);

// Checks `object` against the schema of `r`'s kind. With `before` (a patch's original), only
// fields that were not already unknown there count, so a patch is judged by what it adds.
// Strict: a 400 naming every unknown field. Warn: their messages appended to `warnings`.
std::expected<void, ApiError> CheckUnknownFields(const ResourceInfo& r,
                                                 const nlohmann::json& object,
                                                 const nlohmann::json* before, FieldValidation mode,
                                                 std::vector<std::string>& warnings);

}  // namespace capstan::control_plane::apiserver

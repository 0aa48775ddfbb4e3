#pragma once
// ApiError: a failed request as kube-apiserver reports it, a metav1.Status with an HTTP
// code, a reason kubectl switches on, and details naming the object and the invalid fields,
// so kubectl prints upstream's messages:
//   Error from server (NotFound): pods "web" not found
//   The Pod "web" is invalid: spec.containers[0].image: Required value

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace capstan::control_plane::apiserver {

struct FieldCause {
  std::string type;   // FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
  std::string field;  // spec.containers[0].image
  std::string message;
};

struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...
  std::string message;
  std::string details_name;
  std::string details_group;
  std::string details_kind;
  std::vector<FieldCause> causes;
  int retry_after_seconds = 0;

  nlohmann::json ToStatus() const;
};

// The resource's qualified name as messages show it: "pods", "deployments.apps".
std::string QualifiedResource(const std::string& group, const std::string& plural);

ApiError NotFoundError(const std::string& group, const std::string& plural,
                       const std::string& name);
ApiError AlreadyExistsError(const std::string& group, const std::string& plural,
                            const std::string& name);
ApiError ConflictError(const std::string& group, const std::string& plural, const std::string& name,
                       const std::string& why);
ApiError BadRequestError(const std::string& message);
ApiError MethodNotAllowedError(const std::string& message);
ApiError GoneError(const std::string& message);
ApiError UnsupportedMediaTypeError(const std::string& message);
ApiError TooLargeError(const std::string& message);
ApiError UnauthorizedError();
ApiError ForbiddenError(const std::string& group, const std::string& plural,
                        const std::string& name, const std::string& why);
ApiError InternalError(const std::string& message);
// 422: `<Kind> "<name>" is invalid: <field>: <message>, <field>: <message>`.
ApiError InvalidError(const std::string& group, const std::string& kind, const std::string& name,
                      std::vector<FieldCause> causes);

// A storage error on `name`: NotFound, AlreadyExists, Conflict, Gone, or Internal.
ApiError FromStorageError(const Error& error, const std::string& group, const std::string& plural,
                          const std::string& name);

// Field-cause helpers with upstream's message texts.
FieldCause Required(const std::string& field, const std::string& detail = "");
FieldCause Invalid(const std::string& field, const nlohmann::json& value,
                   const std::string& detail);
FieldCause NotSupported(const std::string& field, const nlohmann::json& value,
                        const std::vector<std::string>& valid);
FieldCause Forbidden(const std::string& field, const std::string& detail);
FieldCause Duplicate(const std::string& field, const nlohmann::json& value);

}  // namespace capstan::control_plane::apiserver

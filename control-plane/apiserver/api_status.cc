#include "control-plane/apiserver/api_status.h"

#include <fmt/format.h>

namespace capstan::control_plane::apiserver {
namespace {

ApiError Make(int code, std::string reason, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

// How upstream prints a bad value inside a message: strings quoted, others as JSON.
std::string ValueText(const nlohmann::json& value) {
  if (value.is_string()) return fmt::format("\"{}\"", value.get<std::string>());
  if (value.is_null()) return "null";
  return value.dump();
}

}  // namespace

nlohmann::json ApiError::ToStatus() const {
  nlohmann::json status = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  nlohmann::json details = nlohmann::json::object();
  if (!details_name.empty()) details["name"] = details_name;
  if (!details_group.empty()) details["group"] = details_group;
  if (!details_kind.empty()) details["kind"] = details_kind;
  if (!causes.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : causes) {
      list.push_back({{"reason", c.type}, {"message", c.message}, {"field", c.field}});
    }
    details["causes"] = std::move(list);
  }
  if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
  if (!details.empty()) status["details"] = std::move(details);
  return status;
}

std::string QualifiedResource(const std::string& group, const std::string& plural) {
  return group.empty() ? plural : plural + "." + group;
}

ApiError NotFoundError(const std::string& group, const std::string& plural,
                       const std::string& name) {
  ApiError e = Make(404, "NotFound",
                    fmt::format("{} \"{}\" not found", QualifiedResource(group, plural), name));
  e.details_name = name;
  e.details_group = group;
  e.details_kind = plural;
  return e;
}

ApiError AlreadyExistsError(const std::string& group, const std::string& plural,
                            const std::string& name) {
  ApiError e =
      Make(409, "AlreadyExists",
           fmt::format("{} \"{}\" already exists", QualifiedResource(group, plural), name));
  e.details_name = name;
  e.details_group = group;
  e.details_kind = plural;
  return e;
}

ApiError ConflictError(const std::string& group, const std::string& plural, const std::string& name,
                       const std::string& why) {
  ApiError e = Make(409, "Conflict",
                    fmt::format("Operation cannot be fulfilled on {} \"{}\": {}",
                                QualifiedResource(group, plural), name, why));
  e.details_name = name;
  e.details_group = group;
  e.details_kind = plural;
  return e;
}

ApiError BadRequestError(const std::string& message) { return Make(400, "BadRequest", message); }
ApiError MethodNotAllowedError(const std::string& message) {
  return Make(405, "MethodNotAllowed", message);
}
ApiError GoneError(const std::string& message) { return Make(410, "Expired", message); }
ApiError UnsupportedMediaTypeError(const std::string& message) {
  return Make(415, "UnsupportedMediaType", message);
}
ApiError TooLargeError(const std::string& message) {
  return Make(413, "RequestEntityTooLarge", message);
}
ApiError UnauthorizedError() { return Make(401, "Unauthorized", "Unauthorized"); }

ApiError ForbiddenError(const std::string& group, const std::string& plural,
                        const std::string& name, const std::string& why) {
  std::string what = QualifiedResource(group, plural);
  if (!name.empty()) what += " \"" + name + "\"";
  ApiError e = Make(403, "Forbidden", fmt::format("{} is forbidden: {}", what, why));
  e.details_name = name;
  e.details_group = group;
  e.details_kind = plural;
  return e;
}

ApiError InternalError(const std::string& message) {
  return Make(500, "InternalError", fmt::format("Internal error occurred: {}", message));
}

ApiError InvalidError(const std::string& group, const std::string& kind, const std::string& name,
                      std::vector<FieldCause> causes) {
  std::string list;
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) list += ", ";
    list +=
        causes[i].field.empty() ? causes[i].message : causes[i].field + ": " + causes[i].message;
  }
  if (causes.size() > 1) list = "[" + list + "]";
  std::string qualified_kind = group.empty() ? kind : kind + "." + group;
  ApiError e =
      Make(422, "Invalid", fmt::format("{} \"{}\" is invalid: {}", qualified_kind, name, list));
  e.details_name = name;
  e.details_group = group;
  e.details_kind = kind;
  e.causes = std::move(causes);
  return e;
}

ApiError FromStorageError(const Error& error, const std::string& group, const std::string& plural,
                          const std::string& name) {
  switch (error.code()) {
    case Code::kNotFound: return NotFoundError(group, plural, name);
    case Code::kAlreadyExists: return AlreadyExistsError(group, plural, name);
    case Code::kFailedPrecondition:
      return ConflictError(group, plural, name,
                           "the object has been modified; please apply your changes to the "
                           "latest version and try again");
    case Code::kOutOfRange: return GoneError("too old resource version");
    case Code::kInvalidArgument: return BadRequestError(error.message());
    default: return InternalError(error.message());
  }
}

FieldCause Required(const std::string& field, const std::string& detail) {
  return {"FieldValueRequired", field,
          detail.empty() ? "Required value" : "Required value: " + detail};
}

FieldCause Invalid(const std::string& field, const nlohmann::json& value,
                   const std::string& detail) {
  std::string msg = "Invalid value: " + ValueText(value);
  if (!detail.empty()) msg += ": " + detail;
  return {"FieldValueInvalid", field, msg};
}

FieldCause NotSupported(const std::string& field, const nlohmann::json& value,
                        const std::vector<std::string>& valid) {
  std::string list;
  for (size_t i = 0; i < valid.size(); ++i) {
    list += (i ? ", \"" : "\"") + valid[i] + "\"";
  }
  return {"FieldValueNotSupported", field,
          fmt::format("Unsupported value: {}: supported values: {}", ValueText(value), list)};
}

FieldCause Forbidden(const std::string& field, const std::string& detail) {
  return {"FieldValueForbidden", field, "Forbidden: " + detail};
}

FieldCause Duplicate(const std::string& field, const nlohmann::json& value) {
  return {"FieldValueDuplicate", field, "Duplicate value: " + ValueText(value)};
}

}  // namespace capstan::control_plane::apiserver

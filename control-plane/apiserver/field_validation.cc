#include "control-plane/apiserver/field_validation.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/k8s/schema/field_validation.h"
#include "api/k8s/schema/schema.h"

namespace capstan::control_plane::apiserver {

std::expected<FieldValidation, ApiError> FieldValidationOf(const RequestInfo& info) {
  auto it = info.query.find("fieldValidation");
  if (it == info.query.end() || it->second.empty() || it->second == "Warn") {
    return FieldValidation::kWarn;
  }
  if (it->second == "Ignore") return FieldValidation::kIgnore;
  if (it->second == "Strict") return FieldValidation::kStrict;
  return std::unexpected(BadRequestError(fmt::format(
      "fieldValidation parameter unsupported: {}, must be one of Ignore, Warn or Strict",
      it->second)));
}

std::expected<void, ApiError> CheckUnknownFields(const ResourceInfo& r,
                                                 const nlohmann::json& object,
                                                 const nlohmann::json* before, FieldValidation mode,
                                                 std::vector<std::string>& warnings) {
  if (mode == FieldValidation::kIgnore || r.custom) return {};
  std::string definition = api::k8s::schema::DefinitionFor(r.group, r.version, r.kind);
  if (definition.empty()) return {};
  std::vector<std::string> unknown = api::k8s::schema::UnknownFields(object, definition);
  if (before != nullptr && !unknown.empty()) {
    std::vector<std::string> known_before = api::k8s::schema::UnknownFields(*before, definition);
    std::erase_if(unknown, [&](const std::string& path) {
      return std::find(known_before.begin(), known_before.end(), path) != known_before.end();
    });
  }
  if (unknown.empty()) return {};
  std::vector<std::string> messages;
  std::string joined;
  for (const auto& path : unknown) {
    messages.push_back(fmt::format("unknown field \"{}\"", path));
    joined += (joined.empty() ? "" : ", ") + messages.back();
  }
  if (mode == FieldValidation::kWarn) {
    warnings.insert(warnings.end(), messages.begin(), messages.end());
    return {};
  }
  // kube-apiserver's words, so that kubectl prints what users know.
  return std::unexpected(BadRequestError(
      fmt::format("{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
                  r.kind, r.version, r.kind, joined)));
}

}  // namespace capstan::control_plane::apiserver

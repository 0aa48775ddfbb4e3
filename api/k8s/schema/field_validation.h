#pragma once
// Unknown-field detection for the `fieldValidation` query parameter (Strict, Warn, Ignore):
// the fields of an object that its kind's schema does not describe.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::api::k8s::schema {

// The paths of the fields in `object` that `definition` (a name in Definitions()) does not
// know, as kube-apiserver prints them: "spec.template.spec.containers[0].imagePullPolcy".
// Free-form fields (x-kubernetes-preserve-unknown-fields) are not looked into. Empty for an
// unknown definition.
std::vector<std::string> UnknownFields(const nlohmann::json& object, std::string_view definition);

}  // namespace capstan::api::k8s::schema

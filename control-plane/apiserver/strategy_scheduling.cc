// PriorityClasses (pkg/apis/scheduling/validation's ValidatePriorityClass and
// ValidatePriorityClassUpdate).

#include <limits>

#include "control-plane/apiserver/strategies.h"

namespace capstan::control_plane::apiserver {

std::vector<FieldCause> PriorityClassStrategy::Validate(const Json& obj) const {
  std::vector<FieldCause> out;
  const Json& value = obj.is_object() ? obj.value("value", Json()) : Json();
  if (value.is_null()) {
    out.push_back(Required("value"));
  } else if (!value.is_number_integer() ||
             value.get<int64_t>() < std::numeric_limits<int32_t>::min() ||
             value.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
    out.push_back(Invalid("value", value, "must be a 32-bit integer"));
  }
  const Json& global = obj.is_object() ? obj.value("globalDefault", Json()) : Json();
  if (!global.is_null() && !global.is_boolean()) {
    out.push_back(Invalid("globalDefault", global, "must be a boolean"));
  }
  const Json& policy = obj.is_object() ? obj.value("preemptionPolicy", Json()) : Json();
  if (!policy.is_null() && policy != "PreemptLowerPriority" && policy != "Never") {
    out.push_back(NotSupported("preemptionPolicy", policy, {"Never", "PreemptLowerPriority"}));
  }
  return out;
}

std::vector<FieldCause> PriorityClassStrategy::ValidateUpdate(const Json& obj,
                                                              const Json& old) const {
  std::vector<FieldCause> out = Validate(obj);
  for (const char* field : {"value", "preemptionPolicy"}) {
    Json now = obj.is_object() ? obj.value(field, Json()) : Json();
    Json before = old.is_object() ? old.value(field, Json()) : Json();
    // An absent preemptionPolicy reads as the default it was given.
    if (std::string(field) == "preemptionPolicy") {
      if (now.is_null()) now = "PreemptLowerPriority";
      if (before.is_null()) before = "PreemptLowerPriority";
    }
    if (now != before) out.push_back(Forbidden(field, "may not be changed in an update."));
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

#include "api/k8s/patch/merge_patch.h"

namespace capstan::api::k8s::patch {

Json ApplyMergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  Json out = target.is_object() ? target : Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      out.erase(key);
      continue;
    }
    auto it = out.find(key);
    // Recursing into a missing member merges into {}, which prunes the patch's own nulls.
    out[key] = ApplyMergePatch(it == out.end() ? Json() : *it, value);
  }
  return out;
}

}  // namespace capstan::api::k8s::patch

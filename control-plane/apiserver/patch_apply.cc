#include "control-plane/apiserver/patch_apply.h"

#include <fmt/format.h>

#include "api/k8s/patch/json_patch.h"
#include "api/k8s/patch/merge_patch.h"
#include "api/k8s/patch/patch_meta.h"
#include "api/k8s/patch/strategic_merge_patch.h"

namespace capstan::control_plane::apiserver {

namespace patch = api::k8s::patch;

namespace {
constexpr size_t kMaxJsonPatchOperations = 10000;  // kube-apiserver's limit
}  // namespace

ApiResult<Json> ApplyPatch(const ResourceInfo& r, const std::string& content_type,
                           const Json& current, const std::string& body) {
  Json p = Json::parse(body, nullptr, false);
  if (p.is_discarded()) {
    return std::unexpected(BadRequestError("error decoding patch: invalid JSON"));
  }
  if (content_type == "application/json-patch+json") {
    if (!p.is_array()) {
      return std::unexpected(
          BadRequestError("json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
    }
    if (p.size() > kMaxJsonPatchOperations) {
      return std::unexpected(
          TooLargeError(fmt::format("The allowed maximum operations in a JSON patch is {}, got {}",
                                    kMaxJsonPatchOperations, p.size())));
    }
    auto out = patch::ApplyJsonPatch(current, p);
    if (!out) {
      ApiError e;
      e.code = 422;
      e.reason = "Invalid";
      e.message = out.error().message();
      return std::unexpected(e);
    }
    return *out;
  }
  if (!p.is_object()) {
    return std::unexpected(BadRequestError("the patch must be a JSON object"));
  }
  if (content_type == "application/merge-patch+json") {
    return patch::ApplyMergePatch(current, p);
  }
  if (content_type == "application/strategic-merge-patch+json") {
    const patch::PatchMeta& meta = patch::PatchMetaFor(r.group, r.version, r.kind);
    if (r.custom || !meta.known()) {
      return std::unexpected(
          UnsupportedMediaTypeError(fmt::format("strategic merge patch format is not supported")));
    }
    auto out = patch::ApplyStrategicMergePatch(current, p, meta);
    if (!out) return std::unexpected(BadRequestError(out.error().message()));
    return *out;
  }
  if (content_type == "application/apply-patch+yaml") {
    return std::unexpected(UnsupportedMediaTypeError(
        "server-side apply is not supported yet: use client-side kubectl apply"));
  }
  return std::unexpected(UnsupportedMediaTypeError(fmt::format(
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json-patch+json, application/merge-patch+json, "
      "application/strategic-merge-patch+json")));
}

}  // namespace capstan::control_plane::apiserver

#include "control-plane/apiserver/metadata_validation.h"

#include <fmt/format.h>

#include "api/k8s/labels.h"
#include "api/k8s/validation.h"

namespace capstan::control_plane::apiserver {
namespace {

constexpr size_t kMaxAnnotationBytes = 256 * 1024;

bool IsDns1035Label(std::string_view s) {
  return api::k8s::IsDnsLabel(s) && !s.empty() && std::isalpha(static_cast<unsigned char>(s[0]));
}

// How names of this kind are checked (upstream's per-kind NameIsDNS* functions).
std::vector<FieldCause> ValidateName(const ResourceInfo& r, const std::string& name) {
  if (name.empty()) return {Required("metadata.name", "name or generateName is required")};
  if (r.group.empty() && r.plural == "services") {
    if (!IsDns1035Label(name)) {
      return {Invalid("metadata.name", name,
                      "a DNS-1035 label must consist of lower case alphanumeric characters or "
                      "'-', start with an alphabetic character, and end with an alphanumeric "
                      "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                      "'[a-z]([-a-z0-9]*[a-z0-9])?')")};
    }
    return {};
  }
  if (r.group.empty() && r.plural == "namespaces") {
    if (!api::k8s::IsDnsLabel(name)) {
      return {Invalid("metadata.name", name,
                      "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                      "characters or '-', and must start and end with an alphanumeric "
                      "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")};
    }
    return {};
  }
  if (r.group == "rbac.authorization.k8s.io") {
    // RBAC names are path segments: anything but "." "..", "/" and "%".
    if (name == "." || name == ".." || name.find_first_of("/%") != std::string::npos) {
      return {Invalid("metadata.name", name, "may not contain '/' or '%'")};
    }
    return {};
  }
  if (!api::k8s::IsDnsSubdomain(name)) {
    return {Invalid("metadata.name", name,
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                    "characters, '-' or '.', and must start and end with an alphanumeric "
                    "character (e.g. 'example.com', regex used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")};
  }
  return {};
}

std::string Joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + e;
  return out;
}

void ValidateStringMap(const Json& map, const std::string& field, bool labels,
                       std::vector<FieldCause>& out) {
  if (map.is_null()) return;
  if (!map.is_object()) {
    out.push_back(Invalid(field, map, "must be a map of strings"));
    return;
  }
  size_t total = 0;
  for (const auto& [k, v] : map.items()) {
    if (!v.is_string()) {
      out.push_back(Invalid(field + "[" + k + "]", v, "must be a string"));
      continue;
    }
    if (auto errors = api::k8s::LabelKeyErrors(k); !errors.empty()) {
      out.push_back(Invalid(field, k, Joined(errors)));
    }
    if (labels) {
      if (auto errors = api::k8s::LabelValueErrors(v.get<std::string>()); !errors.empty()) {
        out.push_back(Invalid(field, v, Joined(errors)));
      }
    }
    total += k.size() + v.get<std::string>().size();
  }
  if (!labels && total > kMaxAnnotationBytes) {
    out.push_back({"FieldValueTooLong", field,
                   fmt::format("Too long: must have at most {} bytes", kMaxAnnotationBytes)});
  }
}

}  // namespace

std::expected<void, ApiError> CheckTypeMeta(const ResourceInfo& r, Json& obj) {
  std::string want_version = r.GroupVersion();
  const Json& api_version = obj.value("apiVersion", Json());
  const Json& kind = obj.value("kind", Json());
  if (api_version.is_string() && api_version.get<std::string>() != want_version) {
    return std::unexpected(BadRequestError(
        fmt::format("the API version in the data ({}) does not match the expected API version ({})",
                    api_version.get<std::string>(), want_version)));
  }
  if (kind.is_string() && kind.get<std::string>() != r.kind) {
    return std::unexpected(BadRequestError(
        fmt::format("the kind in the data ({}) does not match the expected kind ({})",
                    kind.get<std::string>(), r.kind)));
  }
  obj["apiVersion"] = want_version;
  obj["kind"] = r.kind;
  return {};
}

std::vector<FieldCause> ValidateObjectMeta(const ResourceInfo& r, const Json& obj) {
  std::vector<FieldCause> out;
  const Json& meta = obj.value("metadata", Json());
  if (!meta.is_object()) return {Required("metadata")};
  out = ValidateName(r, StringOr(meta.value("name", Json())));
  if (r.namespaced) {
    std::string ns = StringOr(meta.value("namespace", Json()));
    if (ns.empty()) {
      out.push_back(Required("metadata.namespace"));
    } else if (!api::k8s::IsDnsLabel(ns)) {
      out.push_back(Invalid("metadata.namespace", ns, "a lowercase RFC 1123 label is required"));
    }
  }
  ValidateStringMap(meta.value("labels", Json()), "metadata.labels", true, out);
  ValidateStringMap(meta.value("annotations", Json()), "metadata.annotations", false, out);
  const Json& finalizers = meta.value("finalizers", Json());
  if (!finalizers.is_null()) {
    if (!finalizers.is_array()) {
      out.push_back(Invalid("metadata.finalizers", finalizers, "must be a list of strings"));
    } else {
      for (size_t i = 0; i < finalizers.size(); ++i) {
        if (!finalizers[i].is_string() || finalizers[i].get<std::string>().empty()) {
          out.push_back(Invalid(fmt::format("metadata.finalizers[{}]", i), finalizers[i],
                                "must be a non-empty string"));
        }
      }
    }
  }
  const Json& owners = meta.value("ownerReferences", Json());
  if (!owners.is_null()) {
    if (!owners.is_array()) {
      out.push_back(Invalid("metadata.ownerReferences", owners, "must be a list"));
    } else {
      for (size_t i = 0; i < owners.size(); ++i) {
        std::string f = fmt::format("metadata.ownerReferences[{}]", i);
        for (const char* k : {"apiVersion", "kind", "name", "uid"}) {
          if (StringOr(owners[i].value(k, Json())).empty()) {
            out.push_back(Required(f + "." + k));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace capstan::control_plane::apiserver

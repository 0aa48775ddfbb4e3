// Payloads of the API-data volumes, with upstream's rules: no items means every key at a
// path of its own name; an item's mode beats the volume's defaultMode; a missing object or
// key fails the mount unless the source is optional (then it is left out).
#include <fmt/format.h>

#include "api/k8s/labels.h"
#include "kubelet/kuberuntime/env.h"
#include "kubelet/volumes/data_volumes.h"

namespace capstan::kubelet::volumes {
namespace {

using api::k8s::KeyToPath;

// `kind` "ConfigMap" or "Secret"; `what` the lower-case word upstream's messages use.
Result<Payload> KeyedPayload(const api::k8s::Pod& pod, const char* kind, const std::string& name,
                             const std::vector<KeyToPath>& items, bool optional,
                             int32_t default_mode, const DataSources& sources) {
  const bool secret = std::string_view(kind) == "Secret";
  const char* what = secret ? "secret" : "configmap";
  if (!sources.object_data) {
    return Fail(Code::kFailedPrecondition,
                "{} volumes need an API server (static pods cannot use them)", what);
  }
  Payload out;
  auto data = sources.object_data(kind, pod.metadata.namespace_, name);
  if (!data) {
    if (data.error().code() == Code::kNotFound) {
      if (optional) return out;
      return Fail(Code::kNotFound, "{} {:?} not found", what, name);
    }
    return Fail(data.error());
  }
  if (items.empty()) {
    for (const auto& [key, value] : *data) out[key] = {value, default_mode};
    return out;
  }
  for (const auto& item : items) {
    auto it = data->find(item.key);
    if (it == data->end()) {
      if (optional) continue;
      return Fail(Code::kNotFound, "{} references non-existent {} key: {}", what,
                  secret ? "secret" : "config", item.key);
    }
    out[item.path] = {it->second, item.mode.value_or(default_mode)};
  }
  return out;
}

Result<std::string> DownwardValue(const api::k8s::Pod& pod,
                                  const api::k8s::DownwardAPIVolumeFile& f,
                                  const DataSources& sources) {
  kuberuntime::EnvContext ctx;
  ctx.node_allocatable = sources.node_allocatable;
  if (f.field_ref) {
    const std::string& path = f.field_ref->field_path;
    if (path == "metadata.labels") return FormatMap(pod.metadata.labels);
    if (path == "metadata.annotations") return FormatMap(pod.metadata.annotations);
    // Volumes carry only what cannot change under a running container's feet, or is updated
    // with it: metadata (status fields are env-only, as upstream).
    if (!path.starts_with("metadata.")) {
      return Fail(Code::kInvalidArgument, "downwardAPI volume: unsupported fieldPath {:?}", path);
    }
    return kuberuntime::PodFieldValue(pod, path, ctx);
  }
  const auto& sel = *f.resource_field_ref;
  const api::k8s::Container* c = nullptr;
  for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
    for (const auto& other : *list) {
      if (other.name == sel.container_name) c = &other;
    }
  }
  if (!c) {
    return Fail(Code::kInvalidArgument,
                "downwardAPI volume: resourceFieldRef names no container {:?}", sel.container_name);
  }
  return kuberuntime::ResourceFieldValue(pod, *c, sel, ctx);
}

void Merge(Payload& into, Payload from) {
  for (auto& [path, file] : from) into[path] = std::move(file);
}

}  // namespace

std::string FormatMap(const api::k8s::StringMap& m) {
  std::string out;
  for (const auto& [k, v] : m) {  // a std::map: already sorted
    if (!out.empty()) out += '\n';
    out += k + "=" + api::k8s::GoQuote(v);
  }
  return out;
}

Result<Payload> ConfigMapPayload(const api::k8s::Pod& pod, const api::k8s::ConfigMapVolumeSource& s,
                                 int32_t default_mode, const DataSources& sources) {
  return KeyedPayload(pod, "ConfigMap", s.name, s.items, s.optional.value_or(false), default_mode,
                      sources);
}

Result<Payload> SecretPayload(const api::k8s::Pod& pod, const api::k8s::SecretVolumeSource& s,
                              int32_t default_mode, const DataSources& sources) {
  return KeyedPayload(pod, "Secret", s.secret_name, s.items, s.optional.value_or(false),
                      default_mode, sources);
}

Result<Payload> DownwardApiPayload(const api::k8s::Pod& pod,
                                   const api::k8s::DownwardAPIVolumeSource& s, int32_t default_mode,
                                   const DataSources& sources) {
  Payload out;
  for (const auto& f : s.items) {
    if (!f.field_ref == !f.resource_field_ref) {
      return Fail(Code::kInvalidArgument,
                  "downwardAPI item {:?}: exactly one of fieldRef and resourceFieldRef", f.path);
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string value, DownwardValue(pod, f, sources));
    out[f.path] = {std::move(value), f.mode.value_or(default_mode)};
  }
  return out;
}

Result<Payload> ProjectedPayload(const api::k8s::Pod& pod, const api::k8s::ProjectedVolumeSource& s,
                                 const DataSources& sources) {
  const int32_t mode = s.default_mode.value_or(0644);
  Payload out;
  for (const auto& p : s.sources) {
    if (p.config_map) {
      CAPSTAN_ASSIGN_OR_RETURN(auto part, ConfigMapPayload(pod, *p.config_map, mode, sources));
      Merge(out, std::move(part));
    }
    if (p.secret) {
      CAPSTAN_ASSIGN_OR_RETURN(auto part, SecretPayload(pod, *p.secret, mode, sources));
      Merge(out, std::move(part));
    }
    if (p.downward_api) {
      CAPSTAN_ASSIGN_OR_RETURN(auto part, DownwardApiPayload(pod, *p.downward_api, mode, sources));
      Merge(out, std::move(part));
    }
    if (p.service_account_token) {
      if (!sources.service_account_token) {
        return Fail(Code::kFailedPrecondition,
                    "serviceAccountToken volumes need an API server (static pods cannot use them)");
      }
      CAPSTAN_ASSIGN_OR_RETURN(std::string token,
                               sources.service_account_token(pod, *p.service_account_token));
      out[p.service_account_token->path] = {std::move(token), mode};
    }
  }
  return out;
}

}  // namespace capstan::kubelet::volumes

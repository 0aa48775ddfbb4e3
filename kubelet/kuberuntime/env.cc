#include "kubelet/kuberuntime/env.h"

#include <algorithm>
#include <map>

namespace capstan::kubelet::kuberuntime {
namespace {

std::optional<std::string> LookupEnv(const EnvList& env, std::string_view name) {
  for (const auto& [k, v] : env) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

void SetEnv(EnvList& env, const std::string& name, std::string value) {
  for (auto& [k, v] : env) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  env.emplace_back(name, std::move(value));
}

// "metadata.labels['app']" -> ("metadata.labels", "app").
std::optional<std::pair<std::string_view, std::string>> SplitSubscript(std::string_view path) {
  auto open = path.find("['");
  if (open == std::string_view::npos || !path.ends_with("']")) {
    return std::nullopt;
  }
  return std::pair{path.substr(0, open),
                   std::string(path.substr(open + 2, path.size() - open - 4))};
}

int64_t DivideRoundUp(int64_t a, int64_t b) { return b == 0 ? a : (a + b - 1) / b; }

}  // namespace

std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < input.size(); ++cursor) {
    if (input[cursor] != '$' || cursor + 1 >= input.size()) {
      continue;
    }
    out.append(input.substr(checkpoint, cursor - checkpoint));
    std::string_view rest = input.substr(cursor + 1);
    size_t advance = 1;
    if (rest[0] == '$') {
      out += '$';  // escaped
    } else if (rest[0] == '(') {
      size_t close = rest.find(')', 1);
      if (close == std::string_view::npos) {
        out += "$(";  // incomplete reference stays as written
      } else {
        std::string_view name = rest.substr(1, close - 1);
        auto v = lookup(name);
        out += v ? *v : "$(" + std::string(name) + ")";
        advance = close + 1;
      }
    } else {
      out += '$';
      out += rest[0];
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  if (checkpoint < input.size()) {
    out.append(input.substr(checkpoint));
  }
  return out;
}

Result<std::string> PodFieldValue(const api::k8s::Pod& pod, std::string_view path,
                                  const EnvContext& ctx) {
  if (auto sub = SplitSubscript(path)) {
    const auto& [base, key] = *sub;
    const api::k8s::StringMap* m = base == "metadata.labels"        ? &pod.metadata.labels
                                   : base == "metadata.annotations" ? &pod.metadata.annotations
                                                                    : nullptr;
    if (!m) {
      return Fail(Code::kInvalidArgument, "unsupported fieldPath {:?}", path);
    }
    auto it = m->find(key);
    return it == m->end() ? std::string() : it->second;
  }
  if (path == "metadata.name") return pod.metadata.name;
  if (path == "metadata.namespace") return pod.metadata.namespace_;
  if (path == "metadata.uid") return pod.metadata.uid;
  if (path == "spec.nodeName")
    return pod.spec.node_name.empty() ? ctx.node_name : pod.spec.node_name;
  if (path == "spec.serviceAccountName") return pod.spec.service_account_name;
  if (path == "status.hostIP" || path == "status.hostIPs") return ctx.host_ip;
  if (path == "status.podIP") {
    // Host-network pods have the node's address.
    if (pod.spec.host_network) return ctx.host_ip;
    return ctx.pod_ips.empty() ? std::string() : ctx.pod_ips[0];
  }
  if (path == "status.podIPs") {
    if (pod.spec.host_network) return ctx.host_ip;
    std::string joined;
    for (const auto& ip : ctx.pod_ips) {
      joined += (joined.empty() ? "" : ",") + ip;
    }
    return joined;
  }
  return Fail(Code::kInvalidArgument, "unsupported fieldPath {:?}", path);
}

Result<std::string> ResourceFieldValue(const api::k8s::Pod& pod, const api::k8s::Container& c,
                                       const api::k8s::ResourceFieldSelector& sel,
                                       const EnvContext& ctx) {
  const api::k8s::Container* target = &c;
  if (!sel.container_name.empty() && sel.container_name != c.name) {
    target = nullptr;
    for (const auto* list : {&pod.spec.containers, &pod.spec.init_containers}) {
      for (const auto& other : *list) {
        if (other.name == sel.container_name) {
          target = &other;
        }
      }
    }
    if (!target) {
      return Fail(Code::kInvalidArgument, "resourceFieldRef: no container {:?}",
                  sel.container_name);
    }
  }
  auto dot = sel.resource.find('.');
  if (dot == std::string::npos) {
    return Fail(Code::kInvalidArgument, "unsupported resource {:?}", sel.resource);
  }
  std::string kind = sel.resource.substr(0, dot);
  std::string name = sel.resource.substr(dot + 1);
  if ((kind != "limits" && kind != "requests") ||
      (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return Fail(Code::kInvalidArgument, "unsupported resource {:?}", sel.resource);
  }
  const auto& list = kind == "limits" ? target->resources.limits : target->resources.requests;
  std::optional<api::k8s::Quantity> q;
  if (auto it = list.find(name); it != list.end()) {
    q = it->second;
  } else if (kind == "limits") {
    if (auto a = ctx.node_allocatable.find(name); a != ctx.node_allocatable.end()) {
      q = a->second;
    }
  }
  api::k8s::Quantity value = q.value_or(api::k8s::Quantity());
  api::k8s::Quantity divisor =
      sel.divisor && !sel.divisor->IsZero() ? *sel.divisor : api::k8s::Quantity::FromUnits(1);
  if (name == "cpu") {
    // CPU in units of the divisor, rounded up: limits.cpu 250m with divisor 1 -> "1".
    return std::to_string(DivideRoundUp(value.MilliValue(), divisor.MilliValue()));
  }
  return std::to_string(DivideRoundUp(value.Value(), divisor.Value()));
}

Result<EnvList> MakeEnvironment(const api::k8s::Pod& pod, const api::k8s::Container& c,
                                const EnvContext& ctx) {
  EnvList env;
  auto lookup = [&](std::string_view name) { return LookupEnv(env, name); };
  // envFrom first, in order; env then overrides (as upstream). Keys that are no valid
  // variable name are skipped, as upstream skips them (it reports them in an event).
  for (const auto& from : c.env_from) {
    const auto& ref = from.config_map_ref ? *from.config_map_ref : *from.secret_ref;
    if (!from.config_map_ref && !from.secret_ref) continue;
    const char* kind = from.config_map_ref ? "ConfigMap" : "Secret";
    bool optional = ref.optional.value_or(false);
    if (!ctx.object_data) {
      if (optional) continue;
      return Fail(Code::kFailedPrecondition,
                  "envFrom: {} references are not available to static pods", kind);
    }
    auto data = ctx.object_data(kind, pod.metadata.namespace_, ref.name);
    if (!data) {
      if (optional && data.error().code() == Code::kNotFound) continue;
      return Fail(Code::kFailedPrecondition, "{} {:?} not found",
                  from.config_map_ref ? "configmap" : "secret", ref.name);
    }
    for (const auto& [key, value] : *data) {
      std::string name = from.prefix + key;
      bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                   name.find_first_not_of(
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_-.") == std::string::npos;
      if (valid) SetEnv(env, name, value);
    }
  }
  for (const auto& var : c.env) {
    if (!var.value_from) {
      SetEnv(env, var.name, ExpandVars(var.value, lookup));
      continue;
    }
    const auto& from = *var.value_from;
    if (from.field_ref) {
      auto v = PodFieldValue(pod, from.field_ref->field_path, ctx);
      if (!v) {
        return Fail(v.error().Wrap("env {}", var.name));
      }
      SetEnv(env, var.name, *v);
    } else if (from.resource_field_ref) {
      auto v = ResourceFieldValue(pod, c, *from.resource_field_ref, ctx);
      if (!v) {
        return Fail(v.error().Wrap("env {}", var.name));
      }
      SetEnv(env, var.name, *v);
    } else if (from.config_map_key_ref || from.secret_key_ref) {
      const auto& ref = from.config_map_key_ref ? *from.config_map_key_ref : *from.secret_key_ref;
      const char* kind = from.config_map_key_ref ? "ConfigMap" : "Secret";
      bool optional = ref.optional.value_or(false);
      if (!ctx.object_data) {
        if (optional) continue;
        return Fail(Code::kFailedPrecondition,
                    "env {}: {} references are not available to static pods", var.name, kind);
      }
      auto data = ctx.object_data(kind, pod.metadata.namespace_, ref.name);
      if (!data) {
        if (optional && data.error().code() == Code::kNotFound) continue;
        // Upstream's words: configmap "x" not found / secret "x" not found.
        return Fail(Code::kFailedPrecondition, "{} {:?} not found",
                    from.config_map_key_ref ? "configmap" : "secret", ref.name);
      }
      auto value = data->find(ref.key);
      if (value == data->end()) {
        if (optional) continue;
        return Fail(Code::kFailedPrecondition, "couldn't find key {} in {} {}/{}", ref.key, kind,
                    pod.metadata.namespace_, ref.name);
      }
      SetEnv(env, var.name, value->second);
    }
  }
  return env;
}

std::vector<std::string> ExpandArgs(const std::vector<std::string>& in, const EnvList& env) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (const auto& s : in) {
    out.push_back(ExpandVars(s, [&](std::string_view name) { return LookupEnv(env, name); }));
  }
  return out;
}

}  // namespace capstan::kubelet::kuberuntime

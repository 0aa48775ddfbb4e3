#pragma once
// A container's environment as the kubelet builds it: values with $(VAR) expansion over the
// variables defined before them, fieldRef (downward API) and resourceFieldRef values; and
// the same expansion over command and args.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"

namespace capstan::kubelet::kuberuntime {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// What downward-API values come from besides the pod itself.
struct EnvContext {
  std::string node_name;
  std::string host_ip;
  std::vector<std::string> pod_ips;
  // Limits a container leaves unset default to the node's allocatable (as upstream).
  api::k8s::ResourceList node_allocatable;
  // ConfigMap and Secret data for configMapKeyRef / secretKeyRef (null: refused, as for a
  // static pod without an API server).
  std::function<Result<std::map<std::string, std::string>>(
      const std::string& kind, const std::string& ns, const std::string& name)>
      object_data;
};

// Kubernetes $(VAR) expansion: "$(NAME)" becomes the value when `lookup` knows NAME and
// stays as written otherwise; "$$" is a literal "$"; any other "$" is kept.
std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup);

// The container's variables in definition order (a redefinition replaces the value in
// place). Fails (CreateContainerConfigError upstream) on unsupported sources such as
// ConfigMap and Secret references, unknown field paths, or a bad resource reference.
Result<EnvList> MakeEnvironment(const api::k8s::Pod& pod, const api::k8s::Container& c,
                                const EnvContext& ctx);

// command and args with $(VAR) expanded over `env`.
std::vector<std::string> ExpandArgs(const std::vector<std::string>& in, const EnvList& env);

// The downward-API value of `field_path` ("metadata.name", "status.podIP",
// "metadata.labels['app']", ...).
Result<std::string> PodFieldValue(const api::k8s::Pod& pod, std::string_view field_path,
                                  const EnvContext& ctx);
// limits.cpu / requests.memory / ... of `container_name` (default `c`), divided by the
// divisor and rounded up.
Result<std::string> ResourceFieldValue(const api::k8s::Pod& pod, const api::k8s::Container& c,
                                       const api::k8s::ResourceFieldSelector& sel,
                                       const EnvContext& ctx);

}  // namespace capstan::kubelet::kuberuntime

#include "kubelet/kuberuntime/labels.h"

#include <fmt/format.h>

#include <charconv>

#include "api/k8s/codec.h"

namespace capstan::kubelet::kuberuntime {
namespace {

void SetPodIdentity(LabelMap& m, const api::k8s::Pod& pod) {
  m[kPodNameLabel] = pod.metadata.name;
  m[kPodNamespaceLabel] = pod.metadata.namespace_;
  m[kPodUidLabel] = pod.metadata.uid;
}

}  // namespace

LabelMap SandboxLabels(const api::k8s::Pod& pod) {
  LabelMap m;
  for (const auto& [k, v] : pod.metadata.labels) {
    m[k] = v;
  }
  SetPodIdentity(m, pod);
  return m;
}

LabelMap SandboxAnnotations(const api::k8s::Pod& pod) {
  LabelMap m;
  for (const auto& [k, v] : pod.metadata.annotations) {
    m[k] = v;
  }
  return m;
}

LabelMap ContainerLabels(const api::k8s::Pod& pod, const api::k8s::Container& c) {
  LabelMap m;
  SetPodIdentity(m, pod);
  m[kContainerNameLabel] = c.name;
  return m;
}

LabelMap ContainerAnnotations(const api::k8s::Pod& pod, const api::k8s::Container& c,
                              int32_t restart_count, bool init) {
  LabelMap m;
  m[kContainerHashAnnotation] = HashContainer(c);
  m[kRestartCountAnnotation] = std::to_string(restart_count);
  m[kTerminationMessagePathAnnotation] = c.termination_message_path;
  m[kTerminationMessagePolicyAnnotation] = c.termination_message_policy;
  if (pod.metadata.deletion_grace_period_seconds) {
    m[kPodDeletionGracePeriodAnnotation] =
        std::to_string(*pod.metadata.deletion_grace_period_seconds);
  }
  if (pod.spec.termination_grace_period_seconds) {
    m[kPodTerminationGracePeriodAnnotation] =
        std::to_string(*pod.spec.termination_grace_period_seconds);
  }
  if (c.lifecycle && c.lifecycle->pre_stop) {
    api::k8s::Container only_hook;
    only_hook.lifecycle = c.lifecycle;
    m[kPreStopHandlerAnnotation] =
        api::k8s::EncodeContainer(only_hook)["lifecycle"]["preStop"].dump();
  }
  if (!c.ports.empty()) {
    m[kContainerPortsAnnotation] = api::k8s::EncodeContainer(c)["ports"].dump();
  }
  if (init) {
    m[kInitContainerAnnotation] = "true";
  }
  return m;
}

std::string HashContainer(const api::k8s::Container& c) {
  // nlohmann orders object keys, so the dump is canonical.
  std::string text = api::k8s::EncodeContainer(c).dump();
  uint32_t h = 2166136261u;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 16777619u;
  }
  return fmt::format("{:08x}", h);
}

std::string LabelOr(const LabelMap& m, const char* key, std::string fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

int32_t RestartCountOf(const LabelMap& annotations) {
  std::string v = LabelOr(annotations, kRestartCountAnnotation, "0");
  int32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() ? n : 0;
}

std::optional<int64_t> TerminationGracePeriodOf(const LabelMap& annotations) {
  std::string v = LabelOr(annotations, kPodTerminationGracePeriodAnnotation);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace capstan::kubelet::kuberuntime

#include "api/k8s/defaults.h"

namespace capstan::api::k8s {
namespace {

void DefaultHttpGet(std::optional<HTTPGetAction>& h) {
  if (!h) {
    return;
  }
  if (h->path.empty()) {
    h->path = "/";
  }
  if (h->scheme.empty()) {
    h->scheme = "HTTP";
  }
}

void DefaultProbe(std::optional<Probe>& p) {
  if (!p) {
    return;
  }
  if (p->timeout_seconds == 0) {
    p->timeout_seconds = 1;
  }
  if (p->period_seconds == 0) {
    p->period_seconds = 10;
  }
  if (p->success_threshold == 0) {
    p->success_threshold = 1;
  }
  if (p->failure_threshold == 0) {
    p->failure_threshold = 3;
  }
  DefaultHttpGet(p->handler.http_get);
}

void DefaultContainer(Container& c, bool host_network) {
  if (c.image_pull_policy.empty()) {
    c.image_pull_policy = DefaultImagePullPolicy(c.image);
  }
  if (c.termination_message_path.empty()) {
    c.termination_message_path = "/dev/termination-log";
  }
  if (c.termination_message_policy.empty()) {
    c.termination_message_policy = "File";
  }
  for (auto& port : c.ports) {
    if (port.protocol.empty()) {
      port.protocol = "TCP";
    }
    if (host_network && port.host_port == 0) {
      port.host_port = port.container_port;
    }
  }
  for (const auto& [name, q] : c.resources.limits) {
    c.resources.requests.try_emplace(name, q);
  }
  for (auto& env : c.env) {
    if (env.value_from && env.value_from->field_ref &&
        env.value_from->field_ref->api_version.empty()) {
      env.value_from->field_ref->api_version = "v1";
    }
  }
  DefaultProbe(c.liveness_probe);
  DefaultProbe(c.readiness_probe);
  DefaultProbe(c.startup_probe);
  if (c.lifecycle) {
    if (c.lifecycle->post_start) {
      DefaultHttpGet(c.lifecycle->post_start->http_get);
    }
    if (c.lifecycle->pre_stop) {
      DefaultHttpGet(c.lifecycle->pre_stop->http_get);
    }
  }
}

}  // namespace

std::string DefaultImagePullPolicy(const std::string& image) {
  // A digest pins the content; otherwise the tag is what follows the last ':' after the
  // last '/' (a registry port is not a tag).
  if (image.find('@') != std::string::npos) {
    return "IfNotPresent";
  }
  auto slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  auto colon = last.rfind(':');
  if (colon == std::string::npos || last.substr(colon + 1) == "latest") {
    return "Always";
  }
  return "IfNotPresent";
}

Pod WithDefaults(Pod pod) {
  if (pod.metadata.namespace_.empty()) {
    pod.metadata.namespace_ = "default";
  }
  PodSpec& s = pod.spec;
  if (s.restart_policy.empty()) {
    s.restart_policy = "Always";
  }
  if (!s.termination_grace_period_seconds) {
    s.termination_grace_period_seconds = 30;
  }
  if (s.dns_policy.empty()) {
    s.dns_policy = "ClusterFirst";
  }
  if (!s.enable_service_links) {
    s.enable_service_links = true;
  }
  if (!s.security_context) {
    s.security_context = PodSecurityContext{};
  }
  for (auto& c : s.init_containers) {
    DefaultContainer(c, s.host_network);
  }
  for (auto& c : s.containers) {
    DefaultContainer(c, s.host_network);
  }
  for (auto& v : s.volumes) {
    if (!v.empty_dir && !v.host_path && !v.config_map && !v.secret && !v.downward_api &&
        !v.projected && !v.persistent_volume_claim && !v.csi && !v.ephemeral &&
        v.unsupported_source.empty()) {
      v.empty_dir = EmptyDirVolumeSource{};
    }
    // Files of API-data volumes are 0644 unless the pod says otherwise.
    constexpr int32_t kDefaultFileMode = 0644;
    if (v.config_map && !v.config_map->default_mode) v.config_map->default_mode = kDefaultFileMode;
    if (v.secret && !v.secret->default_mode) v.secret->default_mode = kDefaultFileMode;
    if (v.downward_api && !v.downward_api->default_mode) {
      v.downward_api->default_mode = kDefaultFileMode;
    }
    if (v.projected && !v.projected->default_mode) v.projected->default_mode = kDefaultFileMode;
    if (v.host_path && !v.host_path->type) {
      v.host_path->type = "";
    }
  }
  return pod;
}

}  // namespace capstan::api::k8s

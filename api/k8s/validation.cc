#include "api/k8s/validation.h"

#include <cctype>
#include <set>

namespace capstan::api::k8s {
namespace {

Status Invalid(const std::string& field, std::string_view why) {
  return Fail(Code::kInvalidArgument, "{}: {}", field, why);
}

bool IsLabelChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) ||
         std::isdigit(static_cast<unsigned char>(c)) || c == '-';
}

Status ValidateProbe(const std::optional<Probe>& p, const std::string& field) {
  if (!p) {
    return Ok();
  }
  int handlers = (p->handler.exec ? 1 : 0) + (p->handler.http_get ? 1 : 0) +
                 (p->handler.tcp_socket ? 1 : 0) + (p->handler.grpc ? 1 : 0);
  if (handlers != 1) {
    return Invalid(field, "must specify exactly one of exec, httpGet, tcpSocket, grpc");
  }
  if (p->initial_delay_seconds < 0 || p->timeout_seconds < 0 || p->period_seconds < 0 ||
      p->success_threshold < 0 || p->failure_threshold < 0) {
    return Invalid(field, "timings must not be negative");
  }
  return Ok();
}

Status ValidateContainer(const Container& c, const std::string& field,
                         const std::set<std::string>& volumes, bool init) {
  if (c.name.empty()) {
    return Invalid(field + ".name", "required");
  }
  if (!IsDnsLabel(c.name)) {
    return Invalid(field + ".name", "must be a DNS label (lowercase letters, digits, '-')");
  }
  if (c.image.empty()) {
    return Invalid(field + ".image", "required");
  }
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const auto& p = c.ports[i];
    std::string pf = field + ".ports[" + std::to_string(i) + "]";
    if (p.container_port < 1 || p.container_port > 65535) {
      return Invalid(pf + ".containerPort", "must be between 1 and 65535");
    }
    if (p.host_port < 0 || p.host_port > 65535) {
      return Invalid(pf + ".hostPort", "must be between 0 and 65535");
    }
    if (!p.protocol.empty() && p.protocol != "TCP" && p.protocol != "UDP" && p.protocol != "SCTP") {
      return Invalid(pf + ".protocol", "must be TCP, UDP or SCTP");
    }
  }
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const auto& m = c.volume_mounts[i];
    std::string mf = field + ".volumeMounts[" + std::to_string(i) + "]";
    if (!volumes.contains(m.name)) {
      return Invalid(mf + ".name", "volume \"" + m.name + "\" not found");
    }
    if (m.mount_path.empty()) {
      return Invalid(mf + ".mountPath", "required");
    }
  }
  for (size_t i = 0; i < c.env.size(); ++i) {
    if (c.env[i].name.empty()) {
      return Invalid(field + ".env[" + std::to_string(i) + "].name", "required");
    }
  }
  const std::string& pp = c.image_pull_policy;
  if (!pp.empty() && pp != "Always" && pp != "IfNotPresent" && pp != "Never") {
    return Invalid(field + ".imagePullPolicy", "must be Always, IfNotPresent or Never");
  }
  if (init && (c.liveness_probe || c.readiness_probe || c.startup_probe)) {
    return Invalid(field, "init containers may not have probes");
  }
  CAPSTAN_TRY(ValidateProbe(c.liveness_probe, field + ".livenessProbe"));
  CAPSTAN_TRY(ValidateProbe(c.readiness_probe, field + ".readinessProbe"));
  CAPSTAN_TRY(ValidateProbe(c.startup_probe, field + ".startupProbe"));
  if (c.liveness_probe && c.liveness_probe->success_threshold > 1) {
    return Invalid(field + ".livenessProbe.successThreshold", "must be 1");
  }
  if (c.startup_probe && c.startup_probe->success_threshold > 1) {
    return Invalid(field + ".startupProbe.successThreshold", "must be 1");
  }
  return Ok();
}

// The file paths of configMap, secret, downwardAPI and projected items stay inside the
// volume: relative, no ".." element, not starting with "..".
Status ValidateItemPath(const std::string& path, const std::string& field) {
  if (path.empty()) return Invalid(field, "must not be empty");
  if (path[0] == '/') return Invalid(field, "must be a relative path");
  if (path.rfind("..", 0) == 0) return Invalid(field, "must not start with '..'");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) {
      return Invalid(field, "must not contain '..'");
    }
    start = end + 1;
  }
  return Ok();
}

// File modes are permission bits only: 0 to 0777 (no setuid, setgid or sticky bits).
Status ValidateMode(const std::optional<int32_t>& mode, const std::string& field) {
  if (mode && (*mode < 0 || *mode > 0777)) {
    return Invalid(field, "must be a number between 0 and 0777 (octal), both inclusive");
  }
  return Ok();
}

Status ValidateKeyPaths(const std::vector<KeyToPath>& items, const std::string& field) {
  for (size_t i = 0; i < items.size(); ++i) {
    std::string f = field + ".items[" + std::to_string(i) + "]";
    CAPSTAN_TRY(ValidateItemPath(items[i].path, f + ".path"));
    CAPSTAN_TRY(ValidateMode(items[i].mode, f + ".mode"));
  }
  return Ok();
}

Status ValidateDownwardPaths(const DownwardAPIVolumeSource& d, const std::string& field) {
  for (size_t i = 0; i < d.items.size(); ++i) {
    std::string f = field + ".items[" + std::to_string(i) + "]";
    CAPSTAN_TRY(ValidateItemPath(d.items[i].path, f + ".path"));
    CAPSTAN_TRY(ValidateMode(d.items[i].mode, f + ".mode"));
    if (!d.items[i].field_ref == !d.items[i].resource_field_ref) {
      return Invalid(f, "must specify exactly one of fieldRef and resourceFieldRef");
    }
  }
  return Ok();
}

Status ValidateDataVolumePaths(const Volume& v, const std::string& f) {
  if (v.config_map)
    CAPSTAN_TRY(ValidateMode(v.config_map->default_mode, f + ".configMap.defaultMode"));
  if (v.secret) CAPSTAN_TRY(ValidateMode(v.secret->default_mode, f + ".secret.defaultMode"));
  if (v.downward_api) {
    CAPSTAN_TRY(ValidateMode(v.downward_api->default_mode, f + ".downwardAPI.defaultMode"));
  }
  if (v.projected)
    CAPSTAN_TRY(ValidateMode(v.projected->default_mode, f + ".projected.defaultMode"));
  if (v.config_map) CAPSTAN_TRY(ValidateKeyPaths(v.config_map->items, f + ".configMap"));
  if (v.secret) CAPSTAN_TRY(ValidateKeyPaths(v.secret->items, f + ".secret"));
  if (v.downward_api) CAPSTAN_TRY(ValidateDownwardPaths(*v.downward_api, f + ".downwardAPI"));
  if (v.projected) {
    for (size_t i = 0; i < v.projected->sources.size(); ++i) {
      const auto& p = v.projected->sources[i];
      std::string pf = f + ".projected.sources[" + std::to_string(i) + "]";
      if (p.config_map) CAPSTAN_TRY(ValidateKeyPaths(p.config_map->items, pf + ".configMap"));
      if (p.secret) CAPSTAN_TRY(ValidateKeyPaths(p.secret->items, pf + ".secret"));
      if (p.downward_api) CAPSTAN_TRY(ValidateDownwardPaths(*p.downward_api, pf + ".downwardAPI"));
      if (p.service_account_token) {
        CAPSTAN_TRY(
            ValidateItemPath(p.service_account_token->path, pf + ".serviceAccountToken.path"));
      }
    }
  }
  return Ok();
}

}  // namespace

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
    return false;
  }
  for (char c : s) {
    if (!IsLabelChar(c)) {
      return false;
    }
  }
  return true;
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDnsLabel(label)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

Status ValidatePod(const Pod& pod) {
  if (pod.metadata.name.empty()) {
    return Invalid("metadata.name", "required");
  }
  if (!IsDnsSubdomain(pod.metadata.name)) {
    return Invalid("metadata.name",
                   "must be a DNS subdomain (lowercase letters, digits, '-', '.')");
  }
  if (!pod.metadata.namespace_.empty() && !IsDnsLabel(pod.metadata.namespace_)) {
    return Invalid("metadata.namespace", "must be a DNS label");
  }
  const auto& s = pod.spec;
  if (s.containers.empty()) {
    return Invalid("spec.containers", "at least one container is required");
  }
  std::set<std::string> volumes;
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    std::string f = "spec.volumes[" + std::to_string(i) + "]";
    if (!IsDnsLabel(s.volumes[i].name)) {
      return Invalid(f + ".name", "must be a DNS label");
    }
    if (!volumes.insert(s.volumes[i].name).second) {
      return Invalid(f + ".name", "duplicate volume \"" + s.volumes[i].name + "\"");
    }
    const Volume& v = s.volumes[i];
    int sources = (v.host_path ? 1 : 0) + (v.empty_dir ? 1 : 0) + (v.config_map ? 1 : 0) +
                  (v.secret ? 1 : 0) + (v.downward_api ? 1 : 0) + (v.projected ? 1 : 0);
    if (sources > 1) {
      return Invalid(f, "may not specify more than one volume source");
    }
    CAPSTAN_TRY(ValidateDataVolumePaths(v, f));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < s.init_containers.size(); ++i) {
    std::string f = "spec.initContainers[" + std::to_string(i) + "]";
    CAPSTAN_TRY(ValidateContainer(s.init_containers[i], f, volumes, true));
    if (!names.insert(s.init_containers[i].name).second) {
      return Invalid(f + ".name", "duplicate container name");
    }
  }
  for (size_t i = 0; i < s.containers.size(); ++i) {
    std::string f = "spec.containers[" + std::to_string(i) + "]";
    CAPSTAN_TRY(ValidateContainer(s.containers[i], f, volumes, false));
    if (!names.insert(s.containers[i].name).second) {
      return Invalid(f + ".name", "duplicate container name");
    }
  }
  const std::string& rp = s.restart_policy;
  if (!rp.empty() && rp != "Always" && rp != "OnFailure" && rp != "Never") {
    return Invalid("spec.restartPolicy", "must be Always, OnFailure or Never");
  }
  const std::string& dp = s.dns_policy;
  if (!dp.empty() && dp != "ClusterFirst" && dp != "ClusterFirstWithHostNet" && dp != "Default" &&
      dp != "None") {
    return Invalid("spec.dnsPolicy",
                   "must be ClusterFirst, ClusterFirstWithHostNet, Default or None");
  }
  if (dp == "None" && (!s.dns_config || s.dns_config->nameservers.empty())) {
    return Invalid("spec.dnsConfig.nameservers", "required when dnsPolicy is None");
  }
  if (s.termination_grace_period_seconds && *s.termination_grace_period_seconds < 0) {
    return Invalid("spec.terminationGracePeriodSeconds", "must not be negative");
  }
  if (!s.hostname.empty() && !IsDnsLabel(s.hostname)) {
    return Invalid("spec.hostname", "must be a DNS label");
  }
  return Ok();
}

}  // namespace capstan::api::k8s

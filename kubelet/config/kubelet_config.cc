#include "kubelet/config/kubelet_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "api/k8s/json_reader.h"
#include "api/k8s/quantity.h"
#include "api/k8s/yaml.h"
#include "common/file.h"

namespace capstan::kubelet::config {

using api::k8s::FieldReader;
using api::k8s::Json;

Result<Duration> ParseGoDuration(std::string_view text) {
  auto bad = [&] {
    return Fail(Code::kInvalidArgument, "invalid duration {:?} (want e.g. \"10s\", \"1m30s\")",
                text);
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return Duration(0);
  }
  if (s.empty()) {
    return bad();
  }
  double total_ms = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      ++i;
    }
    if (i == 0 || std::count(s.begin(), s.begin() + i, '.') > 1) {
      return bad();
    }
    double value = 0;
    try {
      value = std::stod(std::string(s.substr(0, i)));
    } catch (...) {
      return bad();
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') {
      ++j;
    }
    std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    double ms;
    if (unit == "ns")
      ms = value / 1e6;
    else if (unit == "us" || unit == "µs")
      ms = value / 1e3;
    else if (unit == "ms")
      ms = value;
    else if (unit == "s")
      ms = value * 1e3;
    else if (unit == "m")
      ms = value * 60e3;
    else if (unit == "h")
      ms = value * 3600e3;
    else
      return bad();
    total_ms += ms;
  }
  return Duration(static_cast<int64_t>(std::llround(negative ? -total_ms : total_ms)));
}

namespace {

Duration ReadDuration(FieldReader& r, std::string_view key, Duration fallback) {
  auto s = r.OptString(key);
  if (!s) {
    return fallback;
  }
  auto d = ParseGoDuration(*s);
  if (!d) {
    r.SetError(d.error().Wrap("{}", r.PathOf(key)));
    return fallback;
  }
  return *d;
}

template <typename T>
T Or(std::optional<T> v, T fallback) {
  return v ? *v : fallback;
}

std::map<std::string, bool> ReadBoolMap(FieldReader& r, std::string_view key) {
  return r.Map<bool>(key, [](const Json& j, const std::string& path) -> Result<bool> {
    if (!j.is_boolean()) {
      return Fail(Code::kInvalidArgument, "{}: expected true or false, got {}", path,
                  api::k8s::JsonTypeName(j));
    }
    return j.get<bool>();
  });
}

Status DecodeAuthentication(const Json& j, KubeletConfiguration& c) {
  FieldReader r(j, "authentication");
  auto anon = r.Object<bool>("anonymous", [](const Json& j, const std::string& p) -> Result<bool> {
    FieldReader r(j, p);
    bool enabled = r.Bool("enabled");
    CAPSTAN_TRY(r.Finish(true));
    return enabled;
  });
  c.authentication_anonymous_enabled = anon.value_or(c.authentication_anonymous_enabled);
  if (r.Has("webhook")) {
    FieldReader w(r.Raw("webhook"), "authentication.webhook");
    c.authentication_webhook_enabled = Or(w.OptBool("enabled"), c.authentication_webhook_enabled);
    c.authentication_webhook_cache_ttl =
        ReadDuration(w, "cacheTTL", c.authentication_webhook_cache_ttl);
    CAPSTAN_TRY(w.Finish(true));
  }
  if (r.Has("x509")) {
    FieldReader x(r.Raw("x509"), "authentication.x509");
    c.authentication_x509_client_ca_file = x.String("clientCAFile");
    CAPSTAN_TRY(x.Finish(true));
  }
  return r.Finish(true);
}

Status DecodeAuthorization(const Json& j, KubeletConfiguration& c) {
  FieldReader r(j, "authorization");
  c.authorization_mode = Or(r.OptString("mode"), c.authorization_mode);
  if (r.Has("webhook")) {
    FieldReader w(r.Raw("webhook"), "authorization.webhook");
    c.authorization_webhook_cache_authorized_ttl =
        ReadDuration(w, "cacheAuthorizedTTL", c.authorization_webhook_cache_authorized_ttl);
    c.authorization_webhook_cache_unauthorized_ttl =
        ReadDuration(w, "cacheUnauthorizedTTL", c.authorization_webhook_cache_unauthorized_ttl);
    CAPSTAN_TRY(w.Finish(true));
  }
  return r.Finish(true);
}

Status DecodeLogging(const Json& j, KubeletConfiguration& c) {
  FieldReader r(j, "logging");
  c.logging_format = Or(r.OptString("format"), c.logging_format);
  c.logging_verbosity = Or(r.OptInt32("verbosity"), c.logging_verbosity);
  (void)r.Raw("flushFrequency");
  (void)r.Raw("options");
  return r.Finish(true);
}

Status Decode(const Json& j, KubeletConfiguration& c) {
  FieldReader r(j, "");
  std::string kind = r.String("kind");
  std::string api_version = r.String("apiVersion");
  CAPSTAN_TRY(r.Finish());
  if (kind != "KubeletConfiguration") {
    return Fail(Code::kInvalidArgument, "kind: expected \"KubeletConfiguration\", got {:?}", kind);
  }
  if (api_version != "kubelet.config.k8s.io/v1beta1") {
    return Fail(Code::kInvalidArgument,
                "apiVersion: expected \"kubelet.config.k8s.io/v1beta1\", got {:?}", api_version);
  }
  c.static_pod_path = Or(r.OptString("staticPodPath"), c.static_pod_path);
  c.sync_frequency = ReadDuration(r, "syncFrequency", c.sync_frequency);
  c.file_check_frequency = ReadDuration(r, "fileCheckFrequency", c.file_check_frequency);
  c.http_check_frequency = ReadDuration(r, "httpCheckFrequency", c.http_check_frequency);
  c.static_pod_url = Or(r.OptString("staticPodURL"), c.static_pod_url);
  c.address = Or(r.OptString("address"), c.address);
  c.port = Or(r.OptInt32("port"), c.port);
  c.read_only_port = Or(r.OptInt32("readOnlyPort"), c.read_only_port);
  c.healthz_bind_address = Or(r.OptString("healthzBindAddress"), c.healthz_bind_address);
  c.healthz_port = Or(r.OptInt32("healthzPort"), c.healthz_port);
  c.enable_server = Or(r.OptBool("enableServer"), c.enable_server);
  c.tls_cert_file = Or(r.OptString("tlsCertFile"), c.tls_cert_file);
  c.tls_private_key_file = Or(r.OptString("tlsPrivateKeyFile"), c.tls_private_key_file);
  c.rotate_certificates = Or(r.OptBool("rotateCertificates"), c.rotate_certificates);
  c.server_tls_bootstrap = Or(r.OptBool("serverTLSBootstrap"), c.server_tls_bootstrap);
  if (r.Has("authentication")) {
    CAPSTAN_TRY(DecodeAuthentication(r.Raw("authentication"), c));
  }
  if (r.Has("authorization")) {
    CAPSTAN_TRY(DecodeAuthorization(r.Raw("authorization"), c));
  }
  c.container_runtime_endpoint =
      Or(r.OptString("containerRuntimeEndpoint"), c.container_runtime_endpoint);
  c.image_service_endpoint = Or(r.OptString("imageServiceEndpoint"), c.image_service_endpoint);
  c.runtime_request_timeout = ReadDuration(r, "runtimeRequestTimeout", c.runtime_request_timeout);
  c.serialize_image_pulls = Or(r.OptBool("serializeImagePulls"), c.serialize_image_pulls);
  c.max_parallel_image_pulls = Or(r.OptInt32("maxParallelImagePulls"), c.max_parallel_image_pulls);
  c.registry_pull_qps = Or(r.OptInt32("registryPullQPS"), c.registry_pull_qps);
  c.registry_burst = Or(r.OptInt32("registryBurst"), c.registry_burst);
  c.cgroup_driver = Or(r.OptString("cgroupDriver"), c.cgroup_driver);
  c.cgroup_root = Or(r.OptString("cgroupRoot"), c.cgroup_root);
  c.cgroups_per_qos = Or(r.OptBool("cgroupsPerQOS"), c.cgroups_per_qos);
  c.max_pods = Or(r.OptInt32("maxPods"), c.max_pods);
  c.pod_pids_limit = Or(r.OptInt("podPidsLimit"), c.pod_pids_limit);
  if (r.Has("systemReserved")) c.system_reserved = r.StringMap("systemReserved");
  if (r.Has("kubeReserved")) c.kube_reserved = r.StringMap("kubeReserved");
  if (r.Has("enforceNodeAllocatable")) {
    c.enforce_node_allocatable = r.StringList("enforceNodeAllocatable");
  }
  c.cpu_manager_policy = Or(r.OptString("cpuManagerPolicy"), c.cpu_manager_policy);
  c.memory_manager_policy = Or(r.OptString("memoryManagerPolicy"), c.memory_manager_policy);
  c.topology_manager_policy = Or(r.OptString("topologyManagerPolicy"), c.topology_manager_policy);
  c.fail_swap_on = Or(r.OptBool("failSwapOn"), c.fail_swap_on);
  c.cpu_cfs_quota = Or(r.OptBool("cpuCFSQuota"), c.cpu_cfs_quota);
  c.cpu_cfs_quota_period = ReadDuration(r, "cpuCFSQuotaPeriod", c.cpu_cfs_quota_period);
  if (r.Has("evictionHard")) c.eviction_hard = r.StringMap("evictionHard");
  if (r.Has("evictionSoft")) c.eviction_soft = r.StringMap("evictionSoft");
  if (r.Has("evictionSoftGracePeriod")) {
    c.eviction_soft_grace_period = r.StringMap("evictionSoftGracePeriod");
  }
  c.eviction_pressure_transition_period =
      ReadDuration(r, "evictionPressureTransitionPeriod", c.eviction_pressure_transition_period);
  c.eviction_max_pod_grace_period =
      Or(r.OptInt32("evictionMaxPodGracePeriod"), c.eviction_max_pod_grace_period);
  c.image_gc_high_threshold_percent =
      Or(r.OptInt32("imageGCHighThresholdPercent"), c.image_gc_high_threshold_percent);
  c.image_gc_low_threshold_percent =
      Or(r.OptInt32("imageGCLowThresholdPercent"), c.image_gc_low_threshold_percent);
  c.image_minimum_gc_age = ReadDuration(r, "imageMinimumGCAge", c.image_minimum_gc_age);
  c.container_log_max_size = Or(r.OptString("containerLogMaxSize"), c.container_log_max_size);
  c.container_log_max_files = Or(r.OptInt32("containerLogMaxFiles"), c.container_log_max_files);
  c.pod_logs_dir = Or(r.OptString("podLogsDir"), c.pod_logs_dir);
  if (r.Has("clusterDNS")) c.cluster_dns = r.StringList("clusterDNS");
  c.cluster_domain = Or(r.OptString("clusterDomain"), c.cluster_domain);
  c.resolv_conf = Or(r.OptString("resolvConf"), c.resolv_conf);
  c.hairpin_mode = Or(r.OptString("hairpinMode"), c.hairpin_mode);
  c.pod_cidr = Or(r.OptString("podCIDR"), c.pod_cidr);
  c.seccomp_default = Or(r.OptBool("seccompDefault"), c.seccomp_default);
  c.protect_kernel_defaults = Or(r.OptBool("protectKernelDefaults"), c.protect_kernel_defaults);
  c.make_iptables_util_chains =
      Or(r.OptBool("makeIPTablesUtilChains"), c.make_iptables_util_chains);
  c.node_status_update_frequency =
      ReadDuration(r, "nodeStatusUpdateFrequency", c.node_status_update_frequency);
  c.node_status_report_frequency =
      ReadDuration(r, "nodeStatusReportFrequency", c.node_status_report_frequency);
  c.node_lease_duration_seconds =
      Or(r.OptInt32("nodeLeaseDurationSeconds"), c.node_lease_duration_seconds);
  c.shutdown_grace_period = ReadDuration(r, "shutdownGracePeriod", c.shutdown_grace_period);
  c.shutdown_grace_period_critical_pods =
      ReadDuration(r, "shutdownGracePeriodCriticalPods", c.shutdown_grace_period_critical_pods);
  c.provider_id = Or(r.OptString("providerID"), c.provider_id);
  c.volume_plugin_dir = Or(r.OptString("volumePluginDir"), c.volume_plugin_dir);
  if (r.Has("featureGates")) c.feature_gates = ReadBoolMap(r, "featureGates");
  c.enable_debugging_handlers =
      Or(r.OptBool("enableDebuggingHandlers"), c.enable_debugging_handlers);
  c.kube_api_qps = Or(r.OptInt32("kubeAPIQPS"), c.kube_api_qps);
  c.kube_api_burst = Or(r.OptInt32("kubeAPIBurst"), c.kube_api_burst);
  c.event_record_qps = Or(r.OptInt32("eventRecordQPS"), c.event_record_qps);
  c.event_burst = Or(r.OptInt32("eventBurst"), c.event_burst);
  if (r.Has("logging")) {
    CAPSTAN_TRY(DecodeLogging(r.Raw("logging"), c));
  }
  return r.Finish(/*strict=*/true);
}

Status OneOf(std::string_view field, const std::string& value,
             std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed) {
    if (value == a) {
      return Ok();
    }
  }
  std::string list;
  for (auto a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return Fail(Code::kInvalidArgument, "{}: {:?} is not one of {}", field, value, list);
}

Status Range(std::string_view field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return Fail(Code::kInvalidArgument, "{}: {} is not in [{}, {}]", field, v, lo, hi);
  }
  return Ok();
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

Status Validate(const KubeletConfiguration& c) {
  CAPSTAN_TRY(OneOf("cgroupDriver", c.cgroup_driver, {"cgroupfs", "systemd"}));
  CAPSTAN_TRY(Range("port", c.port, 1, 65535));
  CAPSTAN_TRY(Range("readOnlyPort", c.read_only_port, 0, 65535));
  CAPSTAN_TRY(Range("healthzPort", c.healthz_port, 0, 65535));
  CAPSTAN_TRY(Range("maxPods", c.max_pods, 0, 1 << 20));
  CAPSTAN_TRY(Range("imageGCHighThresholdPercent", c.image_gc_high_threshold_percent, 0, 100));
  CAPSTAN_TRY(Range("imageGCLowThresholdPercent", c.image_gc_low_threshold_percent, 0, 100));
  if (c.image_gc_low_threshold_percent >= c.image_gc_high_threshold_percent) {
    return Fail(Code::kInvalidArgument,
                "imageGCLowThresholdPercent ({}) must be less than imageGCHighThresholdPercent "
                "({})",
                c.image_gc_low_threshold_percent, c.image_gc_high_threshold_percent);
  }
  if (c.container_log_max_files < 2) {
    return Fail(Code::kInvalidArgument, "containerLogMaxFiles: must be at least 2, got {}",
                c.container_log_max_files);
  }
  if (auto q = api::k8s::Quantity::Parse(c.container_log_max_size); !q || q->MilliValue() < 0) {
    return Fail(Code::kInvalidArgument, "containerLogMaxSize: invalid quantity {:?}",
                c.container_log_max_size);
  }
  for (const auto* m : {&c.eviction_hard, &c.eviction_soft}) {
    for (const auto& [signal, value] : *m) {
      CAPSTAN_TRY(
          OneOf("eviction signal", signal,
                {"memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available",
                 "imagefs.inodesFree", "pid.available", "allocatableMemory.available",
                 "containerfs.available", "containerfs.inodesFree"}));
      bool ok = value.ends_with("%") ? value.size() > 1 && std::atof(value.c_str()) >= 0 &&
                                           std::atof(value.c_str()) <= 100
                                     : api::k8s::Quantity::Parse(value).has_value();
      if (!ok) {
        return Fail(Code::kInvalidArgument, "eviction threshold {}: invalid value {:?}", signal,
                    value);
      }
    }
  }
  for (const auto& ip : c.cluster_dns) {
    if (!IsIp(ip)) {
      return Fail(Code::kInvalidArgument, "clusterDNS: {:?} is not an IP address", ip);
    }
  }
  if (c.sync_frequency <= Duration(0)) {
    return Fail(Code::kInvalidArgument, "syncFrequency: must be greater than zero");
  }
  if (c.file_check_frequency <= Duration(0)) {
    return Fail(Code::kInvalidArgument, "fileCheckFrequency: must be greater than zero");
  }
  if (c.runtime_request_timeout <= Duration(0)) {
    return Fail(Code::kInvalidArgument, "runtimeRequestTimeout: must be greater than zero");
  }
  if (c.node_lease_duration_seconds <= 0) {
    return Fail(Code::kInvalidArgument, "nodeLeaseDurationSeconds: must be greater than zero");
  }
  if (c.pod_pids_limit < -1) {
    return Fail(Code::kInvalidArgument, "podPidsLimit: must be -1 (unlimited) or more, got {}",
                c.pod_pids_limit);
  }
  if (c.registry_pull_qps < 0 || c.registry_burst < 0 || c.event_record_qps < 0 ||
      c.event_burst < 0 || c.kube_api_qps < 0 || c.kube_api_burst < 0) {
    return Fail(Code::kInvalidArgument, "QPS and burst settings must not be negative");
  }
  if (c.serialize_image_pulls && c.max_parallel_image_pulls > 1) {
    return Fail(Code::kInvalidArgument,
                "maxParallelImagePulls: must be 1 or unset when serializeImagePulls is true");
  }
  CAPSTAN_TRY(OneOf("cpuManagerPolicy", c.cpu_manager_policy, {"none", "static"}));
  CAPSTAN_TRY(OneOf("memoryManagerPolicy", c.memory_manager_policy, {"None", "Static"}));
  CAPSTAN_TRY(OneOf("topologyManagerPolicy", c.topology_manager_policy,
                    {"none", "best-effort", "restricted", "single-numa-node"}));
  CAPSTAN_TRY(OneOf("hairpinMode", c.hairpin_mode, {"promiscuous-bridge", "hairpin-veth", "none"}));
  CAPSTAN_TRY(OneOf("authorization.mode", c.authorization_mode, {"AlwaysAllow", "Webhook"}));
  CAPSTAN_TRY(OneOf("logging.format", c.logging_format, {"text", "json"}));
  for (const auto& e : c.enforce_node_allocatable) {
    CAPSTAN_TRY(
        OneOf("enforceNodeAllocatable", e, {"pods", "system-reserved", "kube-reserved", "none"}));
  }
  for (const auto* m : {&c.system_reserved, &c.kube_reserved}) {
    for (const auto& [k, v] : *m) {
      if (!api::k8s::Quantity::Parse(v)) {
        return Fail(Code::kInvalidArgument, "reserved resource {}: invalid quantity {:?}", k, v);
      }
    }
  }
  return Ok();
}

Result<KubeletConfiguration> ParseKubeletConfiguration(std::string_view text) {
  CAPSTAN_ASSIGN_OR_RETURN(Json j, api::k8s::ParseJsonOrYaml(text));
  KubeletConfiguration c;
  CAPSTAN_TRY(Decode(j, c));
  CAPSTAN_TRY(Validate(c));
  return c;
}

Result<KubeletConfiguration> LoadKubeletConfiguration(const std::string& path) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto c = ParseKubeletConfiguration(text);
  if (!c) {
    return Fail(c.error().Wrap("kubelet config {}", path));
  }
  return c;
}

}  // namespace capstan::kubelet::config

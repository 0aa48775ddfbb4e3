#pragma once
// KubeletConfiguration (kubelet.config.k8s.io/v1beta1): the kubelet's config file, with the
// upstream field names and defaults. Unknown fields and invalid values are errors naming the
// field, so a typo fails at start instead of being silently ignored.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::config {

using Duration = std::chrono::milliseconds;

struct KubeletConfiguration {
  // Pod sources.
  std::string static_pod_path = "/etc/kubernetes/manifests";
  Duration sync_frequency = std::chrono::minutes(1);
  Duration file_check_frequency = std::chrono::seconds(20);
  Duration http_check_frequency = std::chrono::seconds(20);
  std::string static_pod_url;
  // Serving (the :10250 API comes in a later phase; the settings are parsed now).
  std::string address = "0.0.0.0";
  int32_t port = 10250;
  int32_t read_only_port = 0;
  std::string healthz_bind_address = "127.0.0.1";
  int32_t healthz_port = 10248;
  bool enable_server = true;
  std::string tls_cert_file;
  std::string tls_private_key_file;
  bool rotate_certificates = false;
  bool server_tls_bootstrap = false;
  bool authentication_anonymous_enabled = false;
  bool authentication_webhook_enabled = true;
  Duration authentication_webhook_cache_ttl = std::chrono::minutes(2);
  std::string authentication_x509_client_ca_file;
  std::string authorization_mode = "Webhook";
  Duration authorization_webhook_cache_authorized_ttl = std::chrono::minutes(5);
  Duration authorization_webhook_cache_unauthorized_ttl = std::chrono::seconds(30);
  // Runtime.
  std::string container_runtime_endpoint = "unix:///run/capstan/cri.sock";
  std::string image_service_endpoint;
  Duration runtime_request_timeout = std::chrono::minutes(2);
  bool serialize_image_pulls = true;
  int32_t max_parallel_image_pulls = 0;  // 0: unlimited (only without serializeImagePulls)
  int32_t registry_pull_qps = 5;
  int32_t registry_burst = 10;
  // Cgroups and resources.
  std::string cgroup_driver = "cgroupfs";
  std::string cgroup_root;
  bool cgroups_per_qos = true;
  int32_t max_pods = 110;
  int64_t pod_pids_limit = -1;
  std::map<std::string, std::string> system_reserved;
  std::map<std::string, std::string> kube_reserved;
  std::vector<std::string> enforce_node_allocatable = {"pods"};
  std::string cpu_manager_policy = "none";
  std::string memory_manager_policy = "None";
  std::string topology_manager_policy = "none";
  bool fail_swap_on = true;
  bool cpu_cfs_quota = true;
  Duration cpu_cfs_quota_period = std::chrono::milliseconds(100);
  // Eviction.
  std::map<std::string, std::string> eviction_hard = {{"memory.available", "100Mi"},
                                                      {"nodefs.available", "10%"},
                                                      {"nodefs.inodesFree", "5%"},
                                                      {"imagefs.available", "15%"}};
  std::map<std::string, std::string> eviction_soft;
  std::map<std::string, std::string> eviction_soft_grace_period;
  Duration eviction_pressure_transition_period = std::chrono::minutes(5);
  int32_t eviction_max_pod_grace_period = 0;
  // Images and logs.
  int32_t image_gc_high_threshold_percent = 85;
  int32_t image_gc_low_threshold_percent = 80;
  Duration image_minimum_gc_age = std::chrono::minutes(2);
  std::string container_log_max_size = "10Mi";
  int32_t container_log_max_files = 5;
  std::string pod_logs_dir = "/var/log/pods";
  // DNS and networking.
  std::vector<std::string> cluster_dns;
  std::string cluster_domain;
  std::string resolv_conf = "/etc/resolv.conf";
  std::string hairpin_mode = "promiscuous-bridge";
  std::string pod_cidr;
  // Security.
  // true, unlike upstream: capstan gives containers RuntimeDefault unless the pod asks
  // otherwise (DESIGN.md); seccompDefault: false restores upstream behaviour.
  bool seccomp_default = true;
  bool protect_kernel_defaults = false;
  bool make_iptables_util_chains = true;
  // Node status and lifecycle.
  Duration node_status_update_frequency = std::chrono::seconds(10);
  Duration node_status_report_frequency = std::chrono::minutes(5);
  int32_t node_lease_duration_seconds = 40;
  Duration shutdown_grace_period{0};
  Duration shutdown_grace_period_critical_pods{0};
  std::string provider_id;
  std::string volume_plugin_dir = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec/";
  std::map<std::string, bool> feature_gates;
  bool enable_debugging_handlers = true;
  int32_t kube_api_qps = 50;
  int32_t kube_api_burst = 100;
  int32_t event_record_qps = 50;
  int32_t event_burst = 100;
  std::string logging_format = "text";
  int32_t logging_verbosity = 0;
};

// Parses and validates a KubeletConfiguration document (YAML or JSON). `kind` and
// `apiVersion` must be KubeletConfiguration and kubelet.config.k8s.io/v1beta1.
Result<KubeletConfiguration> ParseKubeletConfiguration(std::string_view text);
Result<KubeletConfiguration> LoadKubeletConfiguration(const std::string& path);
// The semantic checks (ranges, enums, relations between fields).
Status Validate(const KubeletConfiguration& c);

// Go's duration syntax: "300ms", "1.5h", "2h45m", "10s".
Result<Duration> ParseGoDuration(std::string_view text);

}  // namespace capstan::kubelet::config

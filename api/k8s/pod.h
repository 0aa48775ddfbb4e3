#pragma once
// The Pod as the kubelet acts on it: typed fields of core/v1 Pod (spec and status) that
// capstan reads or writes. Field names follow the API's JSON names in snake_case; optional
// where the API uses a pointer (unset differs from zero). Codec: api/k8s/codec.h.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/k8s/meta.h"
#include "api/k8s/quantity.h"

namespace capstan::api::k8s {

using ResourceList = std::map<std::string, Quantity>;  // "cpu", "memory", ...

struct ResourceRequirements {
  ResourceList limits;
  ResourceList requests;
};

// A port by number or by the name of a container port ("http").
struct IntOrString {
  bool is_string = false;
  int64_t int_value = 0;
  std::string str_value;
};

struct ObjectFieldSelector {
  std::string api_version;  // "v1"
  std::string field_path;   // "metadata.name", "status.podIP", ...
};
struct ResourceFieldSelector {
  std::string container_name;
  std::string resource;  // "limits.cpu", "requests.memory", ...
  std::optional<Quantity> divisor;
};
// ConfigMap and Secret references: static pods may not use them (as upstream), but they
// decode so the kubelet can say so.
struct KeySelector {
  std::string name;
  std::string key;
  std::optional<bool> optional;
};
struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<KeySelector> config_map_key_ref;
  std::optional<KeySelector> secret_key_ref;
};
struct EnvVar {
  std::string name;
  std::string value;
  std::optional<EnvVarSource> value_from;
};
// envFrom: every key of a ConfigMap or Secret as a variable, with an optional prefix.
struct LocalReference {
  std::string name;
  std::optional<bool> optional;
};
struct EnvFromSource {
  std::string prefix;
  std::optional<LocalReference> config_map_ref;
  std::optional<LocalReference> secret_ref;
};

struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string protocol;  // TCP (default), UDP, SCTP
  std::string host_ip;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  bool read_only = false;
  std::string sub_path;
  std::optional<std::string> mount_propagation;  // None, HostToContainer, Bidirectional
};

struct ExecAction {
  std::vector<std::string> command;
};
struct HTTPHeader {
  std::string name;
  std::string value;
};
struct HTTPGetAction {
  std::string path;
  IntOrString port;
  std::string host;
  std::string scheme;  // HTTP (default) or HTTPS
  std::vector<HTTPHeader> http_headers;
};
struct TCPSocketAction {
  IntOrString port;
  std::string host;
};
struct GRPCAction {
  int32_t port = 0;
  std::optional<std::string> service;
};
struct SleepAction {
  int64_t seconds = 0;
};

struct ProbeHandler {
  std::optional<ExecAction> exec;
  std::optional<HTTPGetAction> http_get;
  std::optional<TCPSocketAction> tcp_socket;
  std::optional<GRPCAction> grpc;
};
struct Probe {
  ProbeHandler handler;  // inlined in JSON
  int32_t initial_delay_seconds = 0;
  int32_t timeout_seconds = 0;    // defaulted to 1
  int32_t period_seconds = 0;     // defaulted to 10
  int32_t success_threshold = 0;  // defaulted to 1
  int32_t failure_threshold = 0;  // defaulted to 3
  std::optional<int64_t> termination_grace_period_seconds;
};

struct LifecycleHandler {
  std::optional<ExecAction> exec;
  std::optional<HTTPGetAction> http_get;
  std::optional<TCPSocketAction> tcp_socket;  // deprecated, accepted and not run upstream
  std::optional<SleepAction> sleep;
};
struct Lifecycle {
  std::optional<LifecycleHandler> post_start;
  std::optional<LifecycleHandler> pre_stop;
};

struct Capabilities {
  std::vector<std::string> add;
  std::vector<std::string> drop;
};
struct SeccompProfile {
  std::string type;  // RuntimeDefault, Unconfined, Localhost
  std::optional<std::string> localhost_profile;
};
struct SELinuxOptions {
  std::string user, role, type, level;
};

struct SecurityContext {
  std::optional<Capabilities> capabilities;
  std::optional<bool> privileged;
  std::optional<SELinuxOptions> se_linux_options;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<bool> read_only_root_filesystem;
  std::optional<bool> allow_privilege_escalation;
  std::optional<std::string> proc_mount;  // Default, Unmasked
  std::optional<SeccompProfile> seccomp_profile;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvFromSource> env_from;
  std::vector<EnvVar> env;
  ResourceRequirements resources;
  std::vector<VolumeMount> volume_mounts;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  std::optional<Lifecycle> lifecycle;
  std::string termination_message_path;    // defaulted to /dev/termination-log
  std::string termination_message_policy;  // defaulted to File
  std::string image_pull_policy;           // Always, IfNotPresent, Never
  std::optional<SecurityContext> security_context;
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

struct EmptyDirVolumeSource {
  std::string medium;  // "" (node disk) or "Memory"
  std::optional<Quantity> size_limit;
};
struct HostPathVolumeSource {
  std::string path;
  std::optional<std::string> type;  // "", DirectoryOrCreate, Directory, FileOrCreate, ...
};
struct PersistentVolumeClaimVolumeSource {
  std::string claim_name;
  bool read_only = false;
};
// An inline (ephemeral) CSI volume: made by the driver for this pod and gone with it.
struct CSIVolumeSource {
  std::string driver;
  std::optional<bool> read_only;
  std::optional<std::string> fs_type;
  std::map<std::string, std::string> volume_attributes;
  std::string node_publish_secret_ref;  // a Secret's name in the pod's namespace
};
// A generic ephemeral volume: a claim named <pod>-<volume>, made from volumeClaimTemplate by
// the ephemeral-volume controller and owned by the pod.
struct EphemeralVolumeSource {
  std::string volume_claim_template_json;  // kept as written, for encoding back
};
// A file of a configMap, secret or downwardAPI volume: `key` (or the field) written at
// `path` inside the volume, with `mode` when set (else the volume's defaultMode).
struct KeyToPath {
  std::string key;
  std::string path;
  std::optional<int32_t> mode;
};
struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;  // empty: every key, at a path of its own name
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
};
struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
};
struct DownwardAPIVolumeFile {
  std::string path;
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<int32_t> mode;
};
struct DownwardAPIVolumeSource {
  std::vector<DownwardAPIVolumeFile> items;
  std::optional<int32_t> default_mode;
};
// A bound service-account token the kubelet requests (TokenRequest) and refreshes.
struct ServiceAccountTokenProjection {
  std::string audience;
  std::optional<int64_t> expiration_seconds;  // defaulted to 3600
  std::string path;
};
struct VolumeProjection {
  std::optional<ConfigMapVolumeSource> config_map;  // default_mode unused
  std::optional<SecretVolumeSource> secret;         // secret_name is "name" in JSON
  std::optional<DownwardAPIVolumeSource> downward_api;
  std::optional<ServiceAccountTokenProjection> service_account_token;
};
struct ProjectedVolumeSource {
  std::vector<VolumeProjection> sources;
  std::optional<int32_t> default_mode;
};

struct Volume {
  std::string name;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<ConfigMapVolumeSource> config_map;
  std::optional<SecretVolumeSource> secret;
  std::optional<DownwardAPIVolumeSource> downward_api;
  std::optional<ProjectedVolumeSource> projected;
  std::optional<PersistentVolumeClaimVolumeSource> persistent_volume_claim;
  std::optional<CSIVolumeSource> csi;
  std::optional<EphemeralVolumeSource> ephemeral;
  // Any other volume source this kubelet does not implement yet ("configMap", ...): kept
  // so the pod fails with a clear message instead of running without the volume.
  std::string unsupported_source;
};

struct Sysctl {
  std::string name;
  std::string value;
};
struct PodSecurityContext {
  std::optional<SELinuxOptions> se_linux_options;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::vector<int64_t> supplemental_groups;
  std::optional<int64_t> fs_group;
  std::vector<Sysctl> sysctls;
  std::optional<std::string> fs_group_change_policy;
  std::optional<SeccompProfile> seccomp_profile;
};

struct PodDNSConfigOption {
  std::string name;
  std::optional<std::string> value;
};
struct PodDNSConfig {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<PodDNSConfigOption> options;
};
struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;
};

// Scheduling constraints the kubelet re-checks when it admits a pod (scheduling_codec.cc).
struct Toleration {
  std::string key;
  std::string operator_;  // Equal (default) or Exists
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute; "" matches all
  std::optional<int64_t> toleration_seconds;
};
struct NodeSelectorRequirement {
  std::string key;
  std::string operator_;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;  // metadata.name only
};
struct PreferredSchedulingTerm {
  int32_t weight = 0;
  NodeSelectorTerm preference;
};
struct NodeAffinity {
  // requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: any term may match.
  std::optional<std::vector<NodeSelectorTerm>> required;
  std::vector<PreferredSchedulingTerm> preferred;
};
// Pod (anti-)affinity is the scheduler's alone: kept as the API's JSON text.
struct Affinity {
  std::optional<NodeAffinity> node_affinity;
  std::string pod_affinity_json;
  std::string pod_anti_affinity_json;
};

struct PodSpec {
  std::vector<Volume> volumes;
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  std::string restart_policy;                               // Always (default), OnFailure, Never
  std::optional<int64_t> termination_grace_period_seconds;  // defaulted to 30
  std::optional<int64_t> active_deadline_seconds;
  std::string dns_policy;  // ClusterFirst (default), ClusterFirstWithHostNet, Default, None
  StringMap node_selector;
  std::optional<Affinity> affinity;
  std::vector<Toleration> tolerations;
  std::vector<LocalReference> image_pull_secrets;  // names of dockerconfigjson Secrets
  std::string service_account_name;
  std::string node_name;
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  std::optional<bool> share_process_namespace;
  std::optional<PodSecurityContext> security_context;
  std::string hostname;
  std::string subdomain;
  std::vector<HostAlias> host_aliases;
  std::string priority_class_name;
  std::optional<int32_t> priority;
  std::string preemption_policy;  // PreemptLowerPriority (default) or Never
  std::string scheduler_name;     // "" or default-scheduler: capstan's scheduler
  // topologySpreadConstraints, the scheduler's alone: kept as the API's JSON text.
  std::string topology_spread_constraints_json;
  std::optional<PodDNSConfig> dns_config;
  std::optional<std::string> runtime_class_name;
  std::optional<bool> enable_service_links;
};

struct ContainerStateWaiting {
  std::string reason;
  std::string message;
};
struct ContainerStateRunning {
  std::optional<WallTime> started_at;
};
struct ContainerStateTerminated {
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string reason;
  std::string message;
  std::optional<WallTime> started_at;
  std::optional<WallTime> finished_at;
  std::string container_id;
};
// At most one member is set; none means "waiting" with no reason yet.
struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;
};

struct ContainerStatus {
  std::string name;
  ContainerState state;
  ContainerState last_state;
  bool ready = false;
  int32_t restart_count = 0;
  std::string image;
  std::string image_id;
  std::string container_id;  // "<runtime>://<id>"
  std::optional<bool> started;
};

struct PodCondition {
  std::string type;    // PodScheduled, Initialized, ContainersReady, Ready, ...
  std::string status;  // True, False, Unknown
  std::optional<WallTime> last_probe_time;
  std::optional<WallTime> last_transition_time;
  std::string reason;
  std::string message;
};

struct PodIP {
  std::string ip;
};

struct PodStatus {
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  std::vector<PodCondition> conditions;
  std::string message;
  std::string reason;
  std::string host_ip;
  std::vector<PodIP> host_ips;
  std::string pod_ip;
  std::vector<PodIP> pod_ips;
  std::optional<WallTime> start_time;
  std::vector<ContainerStatus> init_container_statuses;
  std::vector<ContainerStatus> container_statuses;
  std::string qos_class;            // Guaranteed, Burstable, BestEffort
  std::string nominated_node_name;  // where preemption made room for it
};

struct Pod {
  std::string api_version = "v1";
  std::string kind = "Pod";
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
};

// The claim a volume of `pod` uses: its persistentVolumeClaim's, or <pod>-<volume> for a
// generic ephemeral volume; "" for other volumes.
inline std::string ClaimNameOf(const Pod& pod, const Volume& v) {
  if (v.persistent_volume_claim) return v.persistent_volume_claim->claim_name;
  if (v.ephemeral) return pod.metadata.name + "-" + v.name;
  return "";
}

}  // namespace capstan::api::k8s

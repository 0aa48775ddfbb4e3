#include "kubelet/kuberuntime/pod_config.h"

#include "kubelet/cm/qos.h"
#include "kubelet/kuberuntime/env.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/kuberuntime/security_context.h"

namespace capstan::kubelet::kuberuntime {

namespace v1 = api::cri::v1;

std::string PodLogDirectory(const NodeContext& node, const api::k8s::Pod& pod) {
  return node.pod_logs_dir + "/" + pod.metadata.namespace_ + "_" + pod.metadata.name + "_" +
         pod.metadata.uid;
}

std::string ContainerLogPath(const std::string& container, int32_t restart_count) {
  return container + "/" + std::to_string(restart_count) + ".log";
}

std::string PodHostname(const api::k8s::Pod& pod) {
  std::string h = pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname;
  if (h.size() > 63) {
    h.resize(63);
  }
  // A DNS label may not end in '-' or '.' once cut.
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) {
    h.pop_back();
  }
  return h;
}

namespace {

// Volumes containers may only read: the kubelet's own (configMap, secret, downwardAPI,
// projected) and claims the pod mounts readOnly.
bool ForcedReadOnly(const api::k8s::Pod& pod, const std::string& name) {
  for (const auto& v : pod.spec.volumes) {
    if (v.name != name) continue;
    if (v.persistent_volume_claim && v.persistent_volume_claim->read_only) return true;
    return v.config_map || v.secret || v.downward_api || v.projected;
  }
  return false;
}

v1::Protocol ToProtocol(const std::string& p) {
  if (p == "UDP") return v1::UDP;
  if (p == "SCTP") return v1::SCTP;
  return v1::TCP;
}

v1::MountPropagation ToPropagation(const std::optional<std::string>& p) {
  if (p == "HostToContainer") return v1::PROPAGATION_HOST_TO_CONTAINER;
  if (p == "Bidirectional") return v1::PROPAGATION_BIDIRECTIONAL;
  return v1::PROPAGATION_PRIVATE;
}

int64_t MilliOf(const api::k8s::ResourceList& l, const char* name) {
  auto it = l.find(name);
  return it == l.end() ? 0 : it->second.MilliValue();
}

int64_t ValueOf(const api::k8s::ResourceList& l, const char* name) {
  auto it = l.find(name);
  return it == l.end() ? 0 : it->second.Value();
}

}  // namespace

Result<v1::PodSandboxConfig> GenerateSandboxConfig(const api::k8s::Pod& pod, uint32_t attempt,
                                                   const NodeContext& node,
                                                   const ResolvConf& host_dns) {
  v1::PodSandboxConfig cfg;
  auto* md = cfg.mutable_metadata();
  md->set_name(pod.metadata.name);
  md->set_namespace_(pod.metadata.namespace_);
  md->set_uid(pod.metadata.uid);
  md->set_attempt(attempt);
  *cfg.mutable_labels() = SandboxLabels(pod);
  *cfg.mutable_annotations() = SandboxAnnotations(pod);
  CAPSTAN_ASSIGN_OR_RETURN(*cfg.mutable_dns_config(), PodDnsConfig(pod, node, host_dns));
  // Host-network pods keep the node's hostname.
  if (!pod.spec.host_network) {
    cfg.set_hostname(PodHostname(pod));
  }
  cfg.set_log_directory(PodLogDirectory(node, pod));
  for (const auto& c : pod.spec.containers) {
    for (const auto& p : c.ports) {
      auto* pm = cfg.add_port_mappings();
      pm->set_protocol(ToProtocol(p.protocol));
      pm->set_container_port(p.container_port);
      pm->set_host_port(p.host_port);
      pm->set_host_ip(p.host_ip);
    }
  }
  auto* linux = cfg.mutable_linux();
  linux->set_cgroup_parent(node.cgroup_names.PodCgroup(pod));
  CAPSTAN_ASSIGN_OR_RETURN(*linux->mutable_security_context(), SandboxSecurityContext(pod, node));
  if (pod.spec.security_context) {
    for (const auto& s : pod.spec.security_context->sysctls) {
      (*linux->mutable_sysctls())[s.name] = s.value;
    }
  }
  return cfg;
}

v1::LinuxContainerResources ContainerResources(const api::k8s::Pod& pod,
                                               const api::k8s::Container& c,
                                               const NodeContext& node) {
  v1::LinuxContainerResources r;
  int64_t cpu_request = MilliOf(c.resources.requests, "cpu");
  int64_t cpu_limit = MilliOf(c.resources.limits, "cpu");
  // Older API servers may not have defaulted the request from the limit; do it here too.
  r.set_cpu_shares(static_cast<int64_t>(
      cm::MilliCpuToShares(cpu_request == 0 && cpu_limit != 0 ? cpu_limit : cpu_request)));
  r.set_cpu_period(cm::kCfsPeriodUs);
  r.set_cpu_quota(cm::MilliCpuToQuota(cpu_limit, cm::kCfsPeriodUs));
  int64_t memory_limit = ValueOf(c.resources.limits, "memory");
  if (memory_limit != 0) {
    r.set_memory_limit_in_bytes(memory_limit);
  }
  r.set_oom_score_adj(cm::ContainerOomScoreAdjust(pod, c, node.memory_capacity_bytes));
  return r;
}

Result<v1::ContainerConfig> GenerateContainerConfig(const api::k8s::Pod& pod,
                                                    const api::k8s::Container& c,
                                                    const NodeContext& node,
                                                    const ContainerInputs& in) {
  v1::ContainerConfig cfg;
  cfg.mutable_metadata()->set_name(c.name);
  cfg.mutable_metadata()->set_attempt(static_cast<uint32_t>(in.restart_count));
  cfg.mutable_image()->set_image(in.image_ref.empty() ? c.image : in.image_ref);
  cfg.mutable_image()->set_user_specified_image(c.image);

  EnvContext env_ctx{node.node_name, node.node_ip, in.pod_ips, node.node_allocatable,
                     node.object_data};
  CAPSTAN_ASSIGN_OR_RETURN(EnvList env, MakeEnvironment(pod, c, env_ctx));
  for (const auto& a : ExpandArgs(c.command, env)) {
    cfg.add_command(a);
  }
  for (const auto& a : ExpandArgs(c.args, env)) {
    cfg.add_args(a);
  }
  for (const auto& [k, v] : env) {
    auto* kv = cfg.add_envs();
    kv->set_key(k);
    kv->set_value(v);
  }
  cfg.set_working_dir(c.working_dir);

  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const auto& m = c.volume_mounts[i];
    auto it = in.volume_paths.find(m.name);
    if (it == in.volume_paths.end()) {
      return Fail(Code::kFailedPrecondition, "volumeMount {:?}: no volume of that name is set up",
                  m.name);
    }
    std::string host = it->second;
    if (!m.sub_path.empty()) {
      auto prepared = in.sub_path_hosts.find(static_cast<int>(i));
      if (prepared == in.sub_path_hosts.end()) {
        return Fail(Code::kFailedPrecondition, "volumeMount {:?}: subPath {:?} is not prepared",
                    m.name, m.sub_path);
      }
      host = prepared->second;
    }
    auto* mount = cfg.add_mounts();
    mount->set_container_path(m.mount_path);
    mount->set_host_path(host);
    // configMap, secret, downwardAPI and projected volumes are the kubelet's to write: always
    // read-only in containers, as upstream mounts them.
    mount->set_readonly(m.read_only || ForcedReadOnly(pod, m.name));
    mount->set_propagation(ToPropagation(m.mount_propagation));
  }
  if (!in.termination_message_file.empty() && !c.termination_message_path.empty()) {
    auto* mount = cfg.add_mounts();
    mount->set_container_path(c.termination_message_path);
    mount->set_host_path(in.termination_message_file);
  }

  *cfg.mutable_labels() = ContainerLabels(pod, c);
  *cfg.mutable_annotations() = ContainerAnnotations(pod, c, in.restart_count, in.init);
  cfg.set_log_path(ContainerLogPath(c.name, in.restart_count));
  cfg.set_stdin(c.stdin);
  cfg.set_stdin_once(c.stdin_once);
  cfg.set_tty(c.tty);

  auto* linux = cfg.mutable_linux();
  *linux->mutable_resources() = ContainerResources(pod, c, node);
  CAPSTAN_ASSIGN_OR_RETURN(*linux->mutable_security_context(),
                           ContainerSecurityContext(pod, c, node));
  return cfg;
}

}  // namespace capstan::kubelet::kuberuntime

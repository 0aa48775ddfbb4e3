#include "kubelet/kuberuntime/security_context.h"

namespace capstan::kubelet::kuberuntime {

namespace v1 = api::cri::v1;

const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> kPaths = {
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
  };
  return kPaths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> kPaths = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return kPaths;
}

api::k8s::SecurityContext EffectiveSecurityContext(const api::k8s::Pod& pod,
                                                   const api::k8s::Container& c) {
  api::k8s::SecurityContext sc = c.security_context.value_or(api::k8s::SecurityContext{});
  if (const auto& psc = pod.spec.security_context) {
    if (!sc.run_as_user) sc.run_as_user = psc->run_as_user;
    if (!sc.run_as_group) sc.run_as_group = psc->run_as_group;
    if (!sc.run_as_non_root) sc.run_as_non_root = psc->run_as_non_root;
    if (!sc.se_linux_options) sc.se_linux_options = psc->se_linux_options;
    if (!sc.seccomp_profile) sc.seccomp_profile = psc->seccomp_profile;
  }
  return sc;
}

namespace {

Result<v1::SecurityProfile> FieldProfile(const api::k8s::SeccompProfile& p,
                                         const NodeContext& node) {
  v1::SecurityProfile out;
  if (p.type == "RuntimeDefault") {
    out.set_profile_type(v1::SecurityProfile::RuntimeDefault);
  } else if (p.type == "Unconfined") {
    out.set_profile_type(v1::SecurityProfile::Unconfined);
  } else if (p.type == "Localhost") {
    if (!p.localhost_profile || p.localhost_profile->empty()) {
      return Fail(Code::kInvalidArgument, "seccompProfile: Localhost needs localhostProfile");
    }
    if (p.localhost_profile->find("..") != std::string::npos) {
      return Fail(Code::kInvalidArgument, "seccompProfile: localhostProfile must not contain ..");
    }
    out.set_profile_type(v1::SecurityProfile::Localhost);
    out.set_localhost_ref(node.seccomp_profile_root + "/" + *p.localhost_profile);
  } else {
    return Fail(Code::kInvalidArgument, "seccompProfile.type: unsupported value {:?}", p.type);
  }
  return out;
}

void SetSELinux(const std::optional<api::k8s::SELinuxOptions>& s, v1::SELinuxOption* out) {
  out->set_user(s->user);
  out->set_role(s->role);
  out->set_type(s->type);
  out->set_level(s->level);
}

}  // namespace

Result<v1::SecurityProfile> SeccompProfileFor(const api::k8s::Pod& pod,
                                              const api::k8s::Container* c,
                                              const NodeContext& node) {
  if (c && c->security_context && c->security_context->seccomp_profile) {
    return FieldProfile(*c->security_context->seccomp_profile, node);
  }
  if (pod.spec.security_context && pod.spec.security_context->seccomp_profile) {
    return FieldProfile(*pod.spec.security_context->seccomp_profile, node);
  }
  v1::SecurityProfile out;
  out.set_profile_type(node.seccomp_default ? v1::SecurityProfile::RuntimeDefault
                                            : v1::SecurityProfile::Unconfined);
  return out;
}

v1::NamespaceOption NamespaceOptions(const api::k8s::Pod& pod) {
  v1::NamespaceOption ns;
  ns.set_network(pod.spec.host_network ? v1::NODE : v1::POD);
  ns.set_ipc(pod.spec.host_ipc ? v1::NODE : v1::POD);
  if (pod.spec.host_pid) {
    ns.set_pid(v1::NODE);
  } else if (pod.spec.share_process_namespace.value_or(false)) {
    ns.set_pid(v1::POD);
  } else {
    ns.set_pid(v1::CONTAINER);
  }
  return ns;
}

Result<v1::LinuxContainerSecurityContext> ContainerSecurityContext(const api::k8s::Pod& pod,
                                                                   const api::k8s::Container& c,
                                                                   const NodeContext& node) {
  api::k8s::SecurityContext sc = EffectiveSecurityContext(pod, c);
  v1::LinuxContainerSecurityContext out;
  if (sc.capabilities) {
    for (const auto& cap : sc.capabilities->add) {
      out.mutable_capabilities()->add_add_capabilities(cap);
    }
    for (const auto& cap : sc.capabilities->drop) {
      out.mutable_capabilities()->add_drop_capabilities(cap);
    }
  }
  out.set_privileged(sc.privileged.value_or(false));
  *out.mutable_namespace_options() = NamespaceOptions(pod);
  if (sc.se_linux_options) {
    SetSELinux(sc.se_linux_options, out.mutable_selinux_options());
  }
  if (sc.run_as_user) {
    out.mutable_run_as_user()->set_value(*sc.run_as_user);
  }
  if (sc.run_as_group) {
    out.mutable_run_as_group()->set_value(*sc.run_as_group);
  }
  out.set_readonly_rootfs(sc.read_only_root_filesystem.value_or(false));
  if (const auto& psc = pod.spec.security_context) {
    for (int64_t g : psc->supplemental_groups) {
      out.add_supplemental_groups(g);
    }
    if (psc->fs_group) {
      out.add_supplemental_groups(*psc->fs_group);
    }
  }
  // Only an explicit "false" sets no_new_privs, as upstream's AddNoNewPrivileges.
  out.set_no_new_privs(sc.allow_privilege_escalation.has_value() &&
                       !*sc.allow_privilege_escalation);
  if (sc.proc_mount.value_or("Default") != "Unmasked") {
    for (const auto& p : DefaultMaskedPaths()) {
      out.add_masked_paths(p);
    }
    for (const auto& p : DefaultReadonlyPaths()) {
      out.add_readonly_paths(p);
    }
  }
  CAPSTAN_ASSIGN_OR_RETURN(*out.mutable_seccomp(), SeccompProfileFor(pod, &c, node));
  return out;
}

Result<v1::LinuxSandboxSecurityContext> SandboxSecurityContext(const api::k8s::Pod& pod,
                                                               const NodeContext& node) {
  v1::LinuxSandboxSecurityContext out;
  *out.mutable_namespace_options() = NamespaceOptions(pod);
  if (const auto& psc = pod.spec.security_context) {
    if (psc->run_as_user) {
      out.mutable_run_as_user()->set_value(*psc->run_as_user);
    }
    if (psc->run_as_group) {
      out.mutable_run_as_group()->set_value(*psc->run_as_group);
    }
    for (int64_t g : psc->supplemental_groups) {
      out.add_supplemental_groups(g);
    }
    if (psc->fs_group) {
      out.add_supplemental_groups(*psc->fs_group);
    }
    if (psc->se_linux_options) {
      SetSELinux(psc->se_linux_options, out.mutable_selinux_options());
    }
  }
  bool privileged = false;
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const auto& c : *list) {
      privileged =
          privileged || (c.security_context && c.security_context->privileged.value_or(false));
    }
  }
  out.set_privileged(privileged);
  CAPSTAN_ASSIGN_OR_RETURN(*out.mutable_seccomp(), SeccompProfileFor(pod, nullptr, node));
  return out;
}

}  // namespace capstan::kubelet::kuberuntime

// From a CRI ContainerConfig (+ its sandbox and image) to the resolved oci::ContainerSpec the
// container's init applies. Policy lives here; the init only carries it out.
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "common/file.h"
#include "cri/oci/capabilities.h"
#include "cri/oci/seccomp.h"
#include "cri/runtime/image_user.h"
#include "cri/runtime/runtime.h"
#include "cri/runtime/spec_defaults.h"

namespace capstan::cri::runtime {

namespace {

std::vector<std::string> ProcessArgs(const v1::ContainerConfig& c, const image::ImageConfig& img) {
  std::vector<std::string> command(c.command().begin(), c.command().end());
  std::vector<std::string> args(c.args().begin(), c.args().end());
  // Docker's rule: an explicit command replaces the entrypoint and drops the image's CMD.
  if (command.empty()) {
    if (args.empty()) {
      args = img.cmd;
    }
    if (!(img.entrypoint.size() == 1 && img.entrypoint[0].empty())) {
      command = img.entrypoint;
    }
  }
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

std::vector<std::string> MergeEnv(const std::vector<std::string>& image_env,
                                  const v1::ContainerConfig& c, const std::string& hostname) {
  std::vector<std::string> env;
  auto set = [&env](const std::string& key, const std::string& value) {
    std::string prefix = key + "=";
    for (auto& e : env) {
      if (e.compare(0, prefix.size(), prefix) == 0) {
        e = prefix + value;
        return;
      }
    }
    env.push_back(prefix + value);
  };
  set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& e : image_env) {
    size_t eq = e.find('=');
    set(e.substr(0, eq), eq == std::string::npos ? "" : e.substr(eq + 1));
  }
  set("HOSTNAME", hostname);
  for (const auto& kv : c.envs()) {
    set(kv.key(), kv.value());
  }
  return env;
}

Result<oci::SeccompKind> SeccompFor(const v1::LinuxContainerSecurityContext& sc,
                                    std::string* profile_path) {
  if (sc.has_seccomp()) {
    switch (sc.seccomp().profile_type()) {
      case v1::SecurityProfile::RuntimeDefault: return oci::SeccompKind::kRuntimeDefault;
      case v1::SecurityProfile::Unconfined: return oci::SeccompKind::kUnconfined;
      case v1::SecurityProfile::Localhost:
        *profile_path = sc.seccomp().localhost_ref();
        return oci::SeccompKind::kLocalhost;
      default: break;
    }
  }
  // The pre-1.25 field, still sent by older kubelets.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const std::string& legacy = sc.seccomp_profile_path();
#pragma GCC diagnostic pop
  if (legacy.empty() || legacy == "unconfined") {
    // Neither field set: unconfined, as containerd and critest define it. The kubelet always
    // says which profile it wants (RuntimeDefault with seccompDefault).
    return oci::SeccompKind::kUnconfined;
  }
  if (legacy == "runtime/default" || legacy == "docker/default") {
    return oci::SeccompKind::kRuntimeDefault;
  }
  if (legacy.rfind("localhost/", 0) == 0) {
    *profile_path = legacy.substr(std::string("localhost/").size());
    return oci::SeccompKind::kLocalhost;
  }
  return Fail(Code::kInvalidArgument, "unknown seccomp profile {:?}", legacy);
}

Status AddCriMounts(const v1::ContainerConfig& c, std::vector<oci::MountSpec>& mounts,
                    std::string& rootfs_propagation) {
  std::vector<const v1::Mount*> sorted;
  for (const auto& m : c.mounts()) {
    sorted.push_back(&m);
  }
  // Parents before children, so /a/b lands on top of /a.
  std::stable_sort(sorted.begin(), sorted.end(), [](const v1::Mount* a, const v1::Mount* b) {
    return a->container_path().size() < b->container_path().size();
  });
  for (const v1::Mount* m : sorted) {
    if (m->container_path().empty() || m->container_path()[0] != '/') {
      return Fail(Code::kInvalidArgument, "mount container_path {:?} must be absolute",
                  m->container_path());
    }
    struct stat st {};
    if (::stat(m->host_path().c_str(), &st) != 0) {
      return Fail(Code::kInvalidArgument, "mount host_path {:?} for {} does not exist",
                  m->host_path(), m->container_path());
    }
    oci::MountSpec spec{m->host_path(), m->container_path(), "bind", {"rbind"}};
    if (m->readonly()) {
      spec.options.push_back("ro");
    }
    switch (m->propagation()) {
      case v1::PROPAGATION_PRIVATE: spec.options.push_back("rprivate"); break;
      case v1::PROPAGATION_HOST_TO_CONTAINER:
        spec.options.push_back("rslave");
        if (rootfs_propagation != "rshared") {
          rootfs_propagation = "rslave";
        }
        break;
      case v1::PROPAGATION_BIDIRECTIONAL:
        spec.options.push_back("rshared");
        rootfs_propagation = "rshared";
        break;
      default: break;
    }
    // selinux_relabel is accepted and ignored: this runtime does not label.
    mounts.push_back(std::move(spec));
  }
  return Ok();
}

}  // namespace

Result<oci::ContainerSpec> Runtime::BuildSpec(const ContainerRecord& c, const SandboxRecord& s,
                                              const image::Image& img,
                                              const std::string& rootfs) const {
  const v1::ContainerConfig& cfg = c.config;
  const v1::LinuxContainerSecurityContext& sc = cfg.linux().security_context();
  bool privileged = sc.privileged();
  if (privileged && !s.config.linux().security_context().privileged()) {
    return Fail(Code::kInvalidArgument, "a privileged container needs a privileged sandbox");
  }
  oci::ContainerSpec spec;
  spec.id = c.id;
  spec.rootfs = rootfs;
  std::string hostname = ReadFile(SandboxStateDir(s.id) + "/hostname").value_or("");
  while (!hostname.empty() && hostname.back() == '\n') {
    hostname.pop_back();
  }
  spec.hostname = hostname;

  // Process.
  spec.process.args = ProcessArgs(cfg, img.config);
  if (spec.process.args.empty()) {
    return Fail(Code::kInvalidArgument, "no command: neither the config nor the image has one");
  }
  spec.process.env = MergeEnv(img.config.env, cfg, hostname);
  spec.process.cwd = !cfg.working_dir().empty()        ? cfg.working_dir()
                     : !img.config.working_dir.empty() ? img.config.working_dir
                                                       : "/";
  spec.process.terminal = cfg.tty();
  for (const auto& [name, limits] : config_.default_rlimits) {
    spec.process.rlimits.push_back({name, limits.first, limits.second});
  }
  if (cfg.linux().resources().oom_score_adj() != 0) {
    spec.process.oom_score_adj = static_cast<int>(cfg.linux().resources().oom_score_adj());
  }

  // User: run_as_username, run_as_user, or the image's USER; groups from the image's files.
  std::string passwd = ReadFileInRoot(rootfs, "/etc/passwd");
  std::string group = ReadFileInRoot(rootfs, "/etc/group");
  ResolvedUser user;
  if (!sc.run_as_username().empty()) {
    CAPSTAN_ASSIGN_OR_RETURN(user, ResolveUser(sc.run_as_username(), passwd, group));
  } else if (sc.has_run_as_user()) {
    user = ResolveUid(static_cast<uid_t>(sc.run_as_user().value()), passwd, group);
  } else {
    CAPSTAN_ASSIGN_OR_RETURN(user, ResolveUser(img.config.user, passwd, group));
  }
  if (sc.has_run_as_group() && !sc.has_run_as_user() && sc.run_as_username().empty()) {
    return Fail(Code::kInvalidArgument,
                "run_as_group is set without run_as_user or run_as_username");
  }
  if (sc.has_run_as_group()) {
    user.gid = static_cast<gid_t>(sc.run_as_group().value());
  }
  std::set<gid_t> gids(user.additional_gids.begin(), user.additional_gids.end());
  for (int64_t g : sc.supplemental_groups()) {
    gids.insert(static_cast<gid_t>(g));
  }
  spec.process.uid = user.uid;
  spec.process.gid = user.gid;
  spec.process.additional_gids.assign(gids.begin(), gids.end());

  // Namespaces: the sandbox's network, IPC and UTS; PID per the request.
  spec.namespaces.net = s.netns;
  spec.namespaces.ipc = s.ipcns;
  spec.namespaces.uts = s.utsns;
  switch (sc.namespace_options().pid()) {
    case v1::NODE: spec.namespaces.pid = oci::NamespaceSpec::Pid::kNode; break;
    case v1::TARGET: {
      CAPSTAN_ASSIGN_OR_RETURN(auto target, records_.Container(sc.namespace_options().target_id()));
      std::lock_guard lock(target->mu);
      if (target->state != v1::CONTAINER_RUNNING) {
        return Fail(Code::kFailedPrecondition, "pid namespace target {} is not running",
                    target->id);
      }
      spec.namespaces.pid = oci::NamespaceSpec::Pid::kTarget;
      spec.namespaces.pid_path = "/proc/" + std::to_string(target->pid) + "/ns/pid";
      break;
    }
    case v1::POD:
      // The pod's shared namespace, held by its init (pod_pid.cc), as containerd joins the
      // pause container's. A sandbox made without one (PID mode CONTAINER, as the kubelet
      // asks unless shareProcessNamespace) gives the container its own.
      if (s.pid_init > 0) {
        if (ProcessStartTime(s.pid_init) != s.pid_init_start) {
          return Fail(Code::kFailedPrecondition, "the PID namespace of pod sandbox {} is gone",
                      s.id);
        }
        spec.namespaces.pid = oci::NamespaceSpec::Pid::kTarget;
        spec.namespaces.pid_path = "/proc/" + std::to_string(s.pid_init) + "/ns/pid";
      }
      break;
    default: break;  // CONTAINER
  }

  // Security.
  oci::SecuritySpec& sec = spec.security;
  sec.privileged = privileged;
  sec.no_new_privs = sc.no_new_privs();
  sec.readonly_rootfs = sc.readonly_rootfs();
  if (privileged) {
    sec.capabilities = oci::AllCapabilities();
    sec.seccomp = oci::SeccompKind::kUnconfined;
  } else {
    std::vector<std::string> add(sc.capabilities().add_capabilities().begin(),
                                 sc.capabilities().add_capabilities().end());
    std::vector<std::string> drop(sc.capabilities().drop_capabilities().begin(),
                                  sc.capabilities().drop_capabilities().end());
    CAPSTAN_ASSIGN_OR_RETURN(sec.capabilities, oci::ComputeCapabilities(add, drop));
    for (const auto& a : sc.capabilities().add_ambient_capabilities()) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string n, oci::NormalizeCapability(a));
      sec.ambient_capabilities.push_back(n);
    }
    std::string profile_path;
    CAPSTAN_ASSIGN_OR_RETURN(sec.seccomp, SeccompFor(sc, &profile_path));
    if (sec.seccomp == oci::SeccompKind::kLocalhost) {
      // Read now: the container's init runs after pivot_root, where host paths are gone.
      auto text = ReadFile(profile_path);
      if (!text) {
        return Fail(text.error().Wrap("seccomp profile"));
      }
      CAPSTAN_TRY(oci::ValidateSeccompProfile(*text));
      sec.seccomp_profile = std::move(*text);
    }
    bool any_paths = sc.masked_paths_size() > 0 || sc.readonly_paths_size() > 0;
    if (any_paths) {
      sec.masked_paths.assign(sc.masked_paths().begin(), sc.masked_paths().end());
      sec.readonly_paths.assign(sc.readonly_paths().begin(), sc.readonly_paths().end());
    } else {
      sec.masked_paths = DefaultMaskedPaths();
      sec.readonly_paths = DefaultReadonlyPaths();
    }
  }

  // Mounts: standard, then the pod's shared files, then the CRI's (which win on conflict).
  std::set<std::string> cri_targets;
  for (const auto& m : cfg.mounts()) {
    cri_targets.insert(m.container_path());
  }
  spec.mounts = StandardMounts(privileged);
  std::string sdir = SandboxStateDir(s.id);
  auto pod_file = [&](const std::string& src, const std::string& dst) {
    if (!cri_targets.count(dst)) {
      spec.mounts.push_back({src, dst, "bind", {"rbind", "rprivate"}});
    }
  };
  pod_file(sdir + "/hostname", "/etc/hostname");
  pod_file(sdir + "/hosts", "/etc/hosts");
  pod_file(sdir + "/resolv.conf", "/etc/resolv.conf");
  if (!s.shm.empty()) {
    pod_file(s.shm, "/dev/shm");
  } else {
    pod_file("/dev/shm", "/dev/shm");
  }
  CAPSTAN_TRY(AddCriMounts(cfg, spec.mounts, spec.rootfs_propagation));
  for (const auto& d : cfg.devices()) {
    spec.devices.push_back({d.host_path(), d.container_path(), d.permissions()});
  }
  return spec;
}

}  // namespace capstan::cri::runtime

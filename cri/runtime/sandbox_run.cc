// RunPodSandbox: namespaces, shared files, /dev/shm and the network for a new pod.
#include <sys/mount.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/scope_exit.h"
#include "common/time.h"
#include "cri/runtime/namespaces.h"
#include "cri/runtime/runtime.h"
#include "cri/runtime/sandbox_files.h"

namespace capstan::cri::runtime {

namespace {

const log::Logger kLog("cri.sandbox");

Status ValidateSandboxConfig(const v1::PodSandboxConfig& c) {
  if (!c.has_metadata() || c.metadata().name().empty()) {
    return Fail(Code::kInvalidArgument, "sandbox config: metadata.name is required");
  }
  if (c.metadata().namespace_().empty()) {
    return Fail(Code::kInvalidArgument, "sandbox config: metadata.namespace is required");
  }
  if (c.hostname().size() > 64) {
    return Fail(Code::kInvalidArgument, "sandbox config: hostname is longer than 64 bytes");
  }
  if (!c.log_directory().empty() && c.log_directory()[0] != '/') {
    return Fail(Code::kInvalidArgument, "sandbox config: log_directory must be absolute");
  }
  return Ok();
}

}  // namespace

Result<v1::RunPodSandboxResponse> Runtime::RunPodSandbox(const v1::RunPodSandboxRequest& req) {
  const v1::PodSandboxConfig& cfg = req.config();
  CAPSTAN_TRY(ValidateSandboxConfig(cfg));
  if (!req.runtime_handler().empty() && req.runtime_handler() != "capstan" &&
      req.runtime_handler() != "runc") {
    return Fail(Code::kInvalidArgument, "unknown runtime handler {:?}", req.runtime_handler());
  }
  const auto& ns_opts = cfg.linux().security_context().namespace_options();
  bool host_net = ns_opts.network() == v1::NODE;
  bool host_ipc = ns_opts.ipc() == v1::NODE;
  std::map<std::string, std::string> sysctls(cfg.linux().sysctls().begin(),
                                             cfg.linux().sysctls().end());
  CAPSTAN_TRY(ValidateSysctls(sysctls, !host_net, !host_ipc));

  auto rec = std::make_shared<SandboxRecord>();
  rec->id = NewId();
  rec->config = cfg;
  rec->runtime_handler = req.runtime_handler();
  rec->created_at = UnixNanos(WallNow());
  std::string name = SandboxName(cfg.metadata());
  CAPSTAN_TRY(records_.ReserveName(name, rec->id));
  ScopeExit release_name([&] { records_.ReleaseName(name); });

  std::string state_dir = SandboxStateDir(rec->id);
  std::string root_dir = records_.SandboxDir(rec->id);
  CAPSTAN_TRY(MkdirAll(state_dir, 0711));
  ScopeExit remove_dirs([&] {
    (void)RemoveAll(state_dir);
    (void)RemoveAll(root_dir);
  });

  // Namespaces: the pod's own network, IPC and UTS namespaces unless it uses the host's.
  char host_name[256] = {};
  ::gethostname(host_name, sizeof(host_name) - 1);
  std::string hostname = cfg.hostname().empty() ? std::string(host_name) : cfg.hostname();
  if (host_net) {
    hostname = host_name;  // a hostNetwork pod shares the node's UTS namespace and name
  }
  PinRequest pin{state_dir + "/ns", !host_net, !host_ipc, !host_net, hostname, sysctls};
  CAPSTAN_ASSIGN_OR_RETURN(PinnedNamespaces pinned, PinNamespaces(pin));
  rec->netns = pinned.net;
  rec->ipcns = pinned.ipc;
  rec->utsns = pinned.uts;
  ScopeExit unpin([&] {
    (void)UnpinNamespace(pinned.net);
    (void)UnpinNamespace(pinned.ipc);
    (void)UnpinNamespace(pinned.uts);
  });

  // One PID namespace for the whole pod when it asks (POD, the CRI default; the kubelet asks
  // for it with shareProcessNamespace and for CONTAINER otherwise), as containerd's pause
  // has one.
  if (ns_opts.pid() == v1::POD) {
    CAPSTAN_ASSIGN_OR_RETURN(auto init, StartPodInit(state_dir));
    rec->pid_init = init.first;
    rec->pid_init_start = init.second;
  }
  ScopeExit stop_init([&] { StopPodInit(rec->pid_init, rec->pid_init_start); });

  // Files every container of the pod mounts.
  CAPSTAN_TRY(WriteFileAtomic(state_dir + "/hostname", hostname + "\n", 0644));
  std::string host_resolv = ReadFile("/etc/resolv.conf").value_or("");
  CAPSTAN_TRY(
      WriteFileAtomic(state_dir + "/resolv.conf", ResolvConf(cfg.dns_config(), host_resolv), 0644));
  CAPSTAN_TRY(WriteFileAtomic(state_dir + "/hosts", HostsFile(hostname), 0644));

  // /dev/shm shared by the pod's containers (the host's with hostIPC).
  if (!host_ipc) {
    rec->shm = state_dir + "/shm";
    CAPSTAN_TRY(MkdirAll(rec->shm, 0755));
    std::string opts = fmt::format("mode=1777,size={}", config_.shm_size);
    if (::mount("shm", rec->shm.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.c_str()) !=
        0) {
      return FailErrno("mounting the pod's /dev/shm");
    }
  }
  ScopeExit unmount_shm([&] {
    if (!rec->shm.empty()) {
      ::umount2(rec->shm.c_str(), MNT_DETACH);
    }
  });

  if (!cfg.log_directory().empty()) {
    CAPSTAN_TRY(MkdirAll(cfg.log_directory(), 0755));
  }

  // The network goes last: it is the step most likely to fail, and the one whose undo is
  // most expensive.
  if (!host_net) {
    network::PodNetworkRequest net_req{rec->id, rec->netns, &rec->config};
    CAPSTAN_ASSIGN_OR_RETURN(network::PodNetworkStatus net, deps_.network->SetUpPod(net_req));
    rec->ip = net.ip;
    rec->additional_ips = net.additional_ips;
    rec->network_ready = true;
  }
  rec->state = v1::SANDBOX_READY;
  {
    std::lock_guard lock(rec->mu);
    capstan::Status persisted = records_.Persist(*rec);
    if (!persisted) {
      if (rec->network_ready) {
        network::PodNetworkRequest net_req{rec->id, rec->netns, &rec->config};
        (void)deps_.network->TearDownPod(net_req);
      }
      return Fail(persisted.error());
    }
  }
  records_.Add(rec);
  release_name.Cancel();
  remove_dirs.Cancel();
  unpin.Cancel();
  unmount_shm.Cancel();
  stop_init.Cancel();
  kLog.Info("sandbox ready", {{"id", rec->id}, {"pod", name}, {"ip", rec->ip}});
  // The sandbox is created and started in one step: both events, for the sandbox's own id.
  EmitEvent(rec->id, rec->id, v1::CONTAINER_CREATED_EVENT);
  EmitEvent(rec->id, rec->id, v1::CONTAINER_STARTED_EVENT);
  v1::RunPodSandboxResponse resp;
  resp.set_pod_sandbox_id(rec->id);
  return resp;
}

}  // namespace capstan::cri::runtime

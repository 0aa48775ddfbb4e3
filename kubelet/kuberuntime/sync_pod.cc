// SyncPod: one step of moving a pod toward its spec (kuberuntime_manager.go SyncPod).
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "common/file.h"
#include "common/log.h"
#include "kubelet/container/helpers.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/kuberuntime/pod_config.h"
#include "kubelet/kuberuntime/runtime_manager.h"

namespace capstan::kubelet::kuberuntime {

namespace v1 = api::cri::v1;
using container::ContainerState;

namespace {
const log::Logger kLog("kubelet");
}  // namespace

RuntimeManager::RuntimeManager(RuntimeManagerDeps deps)
    : deps_(std::move(deps)),
      puller_(deps_.images, deps_.clock, deps_.serialize_image_pulls, deps_.recorder,
              deps_.node.object_data),
      hooks_(deps_.runtime, deps_.http, deps_.sleep),
      backoff_(deps_.clock, std::chrono::seconds(10), std::chrono::minutes(5)) {}

std::string RuntimeManager::BackoffKey(const api::k8s::Pod& pod, const api::k8s::Container& c) {
  return pod.metadata.name + "_" + pod.metadata.namespace_ + "_" + pod.metadata.uid + "_" + c.name +
         "_" + HashContainer(c);
}

std::optional<ReasonedError> RuntimeManager::DoBackOff(const api::k8s::Pod& pod,
                                                       const api::k8s::Container& c,
                                                       const container::PodStatus& status) {
  const container::ContainerStatus* last = nullptr;
  for (const auto& s : status.containers) {
    if (s.name == c.name && s.state == ContainerState::kExited) {
      last = &s;
      break;  // newest first
    }
  }
  if (!last) {
    return std::nullopt;
  }
  std::string key = BackoffKey(pod, c);
  if (backoff_.IsInBackOffSince(key, last->finished_at)) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(backoff_.Get(key)).count();
    if (deps_.recorder) {
      deps_.recorder->PodEvent(
          pod, events::ContainerFieldPath(pod, c.name), events::kWarning, "BackOff",
          fmt::format("Back-off restarting failed container {} in pod {}_{}({})", c.name,
                      pod.metadata.name, pod.metadata.namespace_, pod.metadata.uid));
    }
    return ReasonedError{
        kCrashLoopBackOff,
        fmt::format("back-off {}s restarting failed container={} pod={}_{}({})", secs, c.name,
                    pod.metadata.name, pod.metadata.namespace_, pod.metadata.uid)};
  }
  backoff_.Next(key, last->finished_at);
  return std::nullopt;
}

void RuntimeManager::PruneInitContainers(const api::k8s::Pod& pod,
                                         const container::PodStatus& status, bool all) {
  for (const auto& init : pod.spec.init_containers) {
    int seen = 0;
    for (const auto& s : status.containers) {
      if (s.name != init.name ||
          (s.state != ContainerState::kExited && s.state != ContainerState::kUnknown)) {
        continue;
      }
      // Keep the newest run of each init container (its result is the pod's progress),
      // unless the sandbox is being replaced and everything starts over.
      if (++seen == 1 && !all) {
        continue;
      }
      v1::RemoveContainerRequest rm;
      rm.set_container_id(s.id);
      if (auto r = deps_.runtime->RemoveContainer(rm); !r && r.error().code() != Code::kNotFound) {
        kLog.Warn("removing init container", {{"id", s.id}, {"error", r.error().message()}});
      }
    }
  }
}

Result<std::string> RuntimeManager::TerminationMessageFile(const api::k8s::Pod& pod,
                                                           const api::k8s::Container& c) {
  // <root>/pods/<uid>/containers/<name>/<random>: a fresh file per run, as upstream.
  std::string dir = deps_.node.root_dir + "/pods/" + pod.metadata.uid + "/containers/" + c.name;
  CAPSTAN_TRY(MkdirAll(dir, 0750));
  std::string path = fmt::format("{}/{:08x}", dir, std::random_device{}());
  CAPSTAN_TRY(WriteFileAtomic(path, "", 0666));
  ::chmod(path.c_str(), 0666);
  return path;
}

int32_t RuntimeManager::RestartCountFromLogs(const api::k8s::Pod& pod,
                                             const api::k8s::Container& c) const {
  // Runtimes that lost their state (a reboot) would restart counting at 0 and overwrite
  // 0.log; the log directory remembers how far we got.
  std::error_code ec;
  std::filesystem::path dir = PodLogDirectory(deps_.node, pod) + "/" + c.name;
  int32_t next = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename();
    if (!name.ends_with(".log")) {
      continue;
    }
    std::string num = name.substr(0, name.size() - 4);
    if (!num.empty() && num.find_first_not_of("0123456789") == std::string::npos &&
        num.size() < 9) {
      next = std::max(next, std::stoi(num) + 1);
    }
  }
  return next;
}

std::optional<ReasonedError> RuntimeManager::StartContainer(
    const std::string& sandbox_id, const v1::PodSandboxConfig& sandbox, const api::k8s::Pod& pod,
    const api::k8s::Container& c, bool init, const container::PodStatus& status,
    const std::vector<std::string>& pod_ips, const std::map<std::string, std::string>& volumes) {
  auto image_ref = puller_.EnsureImageExists(pod, c, sandbox);
  if (!image_ref) {
    return image_ref.error();
  }
  const auto* previous = status.FindContainer(c.name);
  int32_t restart_count = previous ? previous->restart_count + 1 : RestartCountFromLogs(pod, c);

  ContainerInputs in;
  in.image_ref = *image_ref;
  in.restart_count = restart_count;
  in.init = init;
  in.pod_ips = pod_ips;
  in.volume_paths = volumes;
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const auto& m = c.volume_mounts[i];
    auto volume = volumes.find(m.name);
    if (m.sub_path.empty() || volume == volumes.end()) continue;
    auto host = deps_.prepare_sub_path
                    ? deps_.prepare_sub_path(pod, c.name, static_cast<int>(i), m.name,
                                             volume->second, m.sub_path)
                    : Result<std::string>(Fail(Code::kUnimplemented, "subPath is not supported"));
    if (!host) {
      return ReasonedError{kCreateContainerConfigError,
                           fmt::format("failed to prepare subPath for volumeMount {:?} of "
                                       "container {:?}: {}",
                                       m.name, c.name, host.error().message())};
    }
    in.sub_path_hosts[static_cast<int>(i)] = *host;
  }
  if (!c.termination_message_path.empty()) {
    auto file = TerminationMessageFile(pod, c);
    if (!file) {
      return ReasonedError{kCreateContainerConfigError, file.error().message()};
    }
    in.termination_message_file = *file;
  }
  auto config = GenerateContainerConfig(pod, c, deps_.node, in);
  if (!config) {
    return ReasonedError{kCreateContainerConfigError, config.error().message()};
  }
  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(sandbox_id);
  *create.mutable_config() = std::move(*config);
  *create.mutable_sandbox_config() = sandbox;
  auto record = [&](const char* type, const char* reason, const std::string& message) {
    if (deps_.recorder) {
      deps_.recorder->PodEvent(pod, events::ContainerFieldPath(pod, c.name), type, reason, message);
    }
  };
  auto created = deps_.runtime->CreateContainer(create);
  if (!created) {
    record(events::kWarning, "Failed", "Error: " + created.error().message());
    return ReasonedError{kCreateContainerError, created.error().message()};
  }
  record(events::kNormal, "Created", "Created container " + c.name);
  v1::StartContainerRequest start;
  start.set_container_id(created->container_id());
  if (auto started = deps_.runtime->StartContainer(start); !started) {
    record(events::kWarning, "Failed", "Error: " + started.error().message());
    return ReasonedError{kRunContainerError, started.error().message()};
  }
  record(events::kNormal, "Started", "Started container " + c.name);
  kLog.Info("container started", {{"pod", pod.metadata.name},
                                  {"container", c.name},
                                  {"id", created->container_id()},
                                  {"restartCount", restart_count}});
  if (c.lifecycle && c.lifecycle->post_start) {
    std::string ip = pod_ips.empty() ? deps_.node.node_ip : pod_ips[0];
    auto hook = hooks_.Run(created->container_id(), pod, c, *c.lifecycle->post_start, ip,
                           std::chrono::seconds(0));
    if (!hook) {
      kLog.Warn(
          "postStart hook failed",
          {{"pod", pod.metadata.name}, {"container", c.name}, {"error", hook.error().message()}});
      (void)KillContainer(&pod, created->container_id(), c.name, "FailedPostStartHook",
                          "FailedPostStartHook", std::nullopt, ip);
      return ReasonedError{kPostStartHookError, hook.error().message()};
    }
  }
  return std::nullopt;
}

PodSyncResult RuntimeManager::SyncPod(const api::k8s::Pod& pod, const container::PodStatus& status,
                                      const ProbeVerdicts& probes,
                                      const std::map<std::string, std::string>& volume_paths) {
  PodSyncResult result;
  PodActions actions = ComputePodActions(pod, status, probes, HashContainer);

  if (actions.kill_pod) {
    if (!status.sandboxes.empty() || !status.containers.empty()) {
      kLog.Info(actions.create_sandbox ? "stopping the pod's sandbox, will start a new one"
                                       : "stopping the pod's sandbox: all containers are dead",
                {{"pod", pod.metadata.name}});
      container::RunningPod running{status.uid, status.name, status.namespace_, {}, {}, {}};
      running.ip = status.ips.empty() ? "" : status.ips[0];
      for (const auto& s : status.sandboxes) {
        running.sandboxes.push_back({s.id, s.ready});
      }
      for (const auto& c : status.containers) {
        running.containers.push_back({c.id, c.name, c.state});
      }
      PodSyncResult killed = KillPod(&pod, running, std::nullopt);
      result.steps.insert(result.steps.end(), killed.steps.begin(), killed.steps.end());
      if (!killed.ToStatus()) {
        return result;
      }
    }
    if (actions.create_sandbox) {
      PruneInitContainers(pod, status, /*all=*/true);
    }
  } else {
    for (const auto& k : actions.containers_to_kill) {
      result.Add(SyncAction::kKillContainer, k.name);
      std::string ip = status.ips.empty() ? "" : status.ips[0];
      if (auto st = KillContainer(&pod, k.id, k.name, k.message, k.reason, std::nullopt, ip); !st) {
        result.steps.back().reason = kKillContainerError;
        result.steps.back().message = st.error().message();
        return result;
      }
    }
  }
  PruneInitContainers(pod, status, /*all=*/false);

  std::vector<std::string> pod_ips = status.ips;
  std::string sandbox_id = actions.sandbox_id;
  if (actions.create_sandbox) {
    auto config = GenerateSandboxConfig(pod, actions.attempt, deps_.node, deps_.host_dns);
    if (!config) {
      result.Fail(SyncAction::kCreatePodSandbox, pod.metadata.name,
                  {kCreatePodSandboxError, config.error().message()});
      return result;
    }
    // The sandbox's log directory must exist before any container logs into it.
    if (auto st = MkdirAll(config->log_directory(), 0755); !st) {
      kLog.Warn("creating the pod log directory", {{"error", st.error().message()}});
    }
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = *config;
    if (pod.spec.runtime_class_name) {
      run.set_runtime_handler(*pod.spec.runtime_class_name);
    }
    auto sandbox = deps_.runtime->RunPodSandbox(run);
    if (!sandbox) {
      result.Fail(SyncAction::kCreatePodSandbox, pod.metadata.name,
                  {kCreatePodSandboxError, sandbox.error().message()});
      if (deps_.recorder) {
        deps_.recorder->PodEvent(pod, "", events::kWarning, "FailedCreatePodSandBox",
                                 "Failed to create pod sandbox: " + sandbox.error().message());
      }
      return result;
    }
    sandbox_id = sandbox->pod_sandbox_id();
    result.Add(SyncAction::kCreatePodSandbox, sandbox_id);
    kLog.Info("sandbox started",
              {{"pod", pod.metadata.name}, {"id", sandbox_id}, {"attempt", actions.attempt}});
    if (!pod.spec.host_network) {
      v1::PodSandboxStatusRequest req;
      req.set_pod_sandbox_id(sandbox_id);
      if (auto st = deps_.runtime->PodSandboxStatus(req)) {
        pod_ips.clear();
        if (!st->status().network().ip().empty()) {
          pod_ips.push_back(st->status().network().ip());
        }
        for (const auto& ip : st->status().network().additional_ips()) {
          pod_ips.push_back(ip.ip());
        }
      }
    }
  }
  if (!actions.next_init_container && actions.containers_to_start.empty()) {
    return result;
  }
  auto sandbox_config = GenerateSandboxConfig(pod, actions.attempt, deps_.node, deps_.host_dns);
  if (!sandbox_config) {
    result.Fail(SyncAction::kConfigPodSandbox, sandbox_id,
                {kConfigPodSandboxError, sandbox_config.error().message()});
    return result;
  }
  auto start = [&](const api::k8s::Container& c, bool init) {
    if (auto err = DoBackOff(pod, c, status)) {
      result.Fail(SyncAction::kStartContainer, c.name, *err);
      return false;
    }
    if (auto err = StartContainer(sandbox_id, *sandbox_config, pod, c, init, status, pod_ips,
                                  volume_paths)) {
      kLog.Warn("container start failed", {{"pod", pod.metadata.name},
                                           {"container", c.name},
                                           {"reason", err->reason},
                                           {"error", err->message}});
      result.Fail(SyncAction::kStartContainer, c.name, *err);
      return false;
    }
    result.Add(SyncAction::kStartContainer, c.name);
    return true;
  };
  if (actions.next_init_container) {
    if (!start(pod.spec.init_containers[*actions.next_init_container], true)) {
      return result;
    }
  }
  for (size_t idx : actions.containers_to_start) {
    start(pod.spec.containers[idx], false);
  }
  return result;
}

}  // namespace capstan::kubelet::kuberuntime

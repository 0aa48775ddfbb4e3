#include "kubelet/kuberuntime/pod_actions.h"

#include "kubelet/container/helpers.h"

namespace capstan::kubelet::kuberuntime {

using container::ContainerState;

SandboxChange PodSandboxChanged(const api::k8s::Pod& pod, const container::PodStatus& status) {
  if (status.sandboxes.empty()) {
    return {true, 0, ""};
  }
  int ready = 0;
  for (const auto& s : status.sandboxes) {
    ready += s.ready ? 1 : 0;
  }
  const auto& newest = status.sandboxes.front();
  if (ready > 1 || !newest.ready) {
    return {true, newest.attempt + 1, newest.id};
  }
  if (newest.host_network != pod.spec.host_network) {
    return {true, newest.attempt + 1, ""};
  }
  // A pod-network sandbox the runtime reported without an address lost its network.
  // (Runtimes that report no network status at all are left alone, as upstream does.)
  if (!pod.spec.host_network && newest.has_network_status && newest.ip.empty()) {
    return {true, newest.attempt + 1, newest.id};
  }
  return {false, newest.attempt, newest.id};
}

InitProgress FindNextInitContainerToRun(const api::k8s::Pod& pod,
                                        const container::PodStatus& status) {
  const auto& inits = pod.spec.init_containers;
  if (inits.empty()) {
    return {nullptr, std::nullopt, true};
  }
  // A running app container means initialization completed earlier, even if the init
  // containers have since been removed from the runtime.
  for (const auto& c : pod.spec.containers) {
    const auto* s = status.FindContainer(c.name);
    if (s && s->state == ContainerState::kRunning) {
      return {nullptr, std::nullopt, true};
    }
  }
  for (size_t i = inits.size(); i-- > 0;) {
    const auto* s = status.FindContainer(inits[i].name);
    if (s && container::IsInitContainerFailed(*s)) {
      return {s, i, false};
    }
  }
  for (size_t i = inits.size(); i-- > 0;) {
    const auto* s = status.FindContainer(inits[i].name);
    if (!s) {
      continue;
    }
    if (s->state == ContainerState::kRunning) {
      return {nullptr, std::nullopt, false};
    }
    if (s->state == ContainerState::kExited) {
      if (i == inits.size() - 1) {
        return {nullptr, std::nullopt, true};
      }
      return {nullptr, i + 1, false};
    }
  }
  return {nullptr, 0, false};
}

PodActions ComputePodActions(
    const api::k8s::Pod& pod, const container::PodStatus& status, const ProbeVerdicts& probes,
    const std::function<std::string(const api::k8s::Container&)>& expected_hash) {
  SandboxChange sc = PodSandboxChanged(pod, status);
  PodActions a;
  a.kill_pod = sc.changed;
  a.create_sandbox = sc.changed;
  a.sandbox_id = sc.sandbox_id;
  a.attempt = sc.attempt;

  if (sc.changed) {
    // A finished pod that must not restart gets no new sandbox.
    if (!container::ShouldRestartOnFailure(pod) && sc.attempt != 0 && !status.containers.empty()) {
      a.create_sandbox = false;
      return a;
    }
    std::vector<size_t> to_start;
    for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
      const auto& c = pod.spec.containers[i];
      if (pod.spec.restart_policy == "OnFailure") {
        const auto* s = status.FindContainer(c.name);
        if (s && s->state == ContainerState::kExited && s->exit_code == 0) {
          continue;
        }
      }
      to_start.push_back(i);
    }
    if (to_start.empty() && FindNextInitContainerToRun(pod, status).done) {
      a.create_sandbox = false;
      return a;
    }
    if (!pod.spec.init_containers.empty()) {
      a.next_init_container = 0;
      return a;
    }
    a.containers_to_start = std::move(to_start);
    return a;
  }

  InitProgress init = FindNextInitContainerToRun(pod, status);
  if (!init.done) {
    if (init.next) {
      bool failed = init.last_failed && container::IsInitContainerFailed(*init.last_failed);
      if (failed && !container::ShouldRestartOnFailure(pod)) {
        a.kill_pod = true;
      } else {
        if (init.last_failed && init.last_failed->state == ContainerState::kUnknown) {
          a.containers_to_kill.push_back(
              {init.last_failed->id, init.last_failed->name, "Unknown",
               "Init container is in \"unknown\" state, try killing it before restart"});
        }
        a.next_init_container = init.next;
      }
    }
    return a;
  }

  int keep = 0;
  for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
    const auto& c = pod.spec.containers[i];
    const auto* s = status.FindContainer(c.name);
    if (!s || s->state != ContainerState::kRunning) {
      if (container::ShouldContainerBeRestarted(c, pod, status)) {
        a.containers_to_start.push_back(i);
        if (s && s->state == ContainerState::kUnknown) {
          a.containers_to_kill.push_back(
              {s->id, s->name, "Unknown",
               "Container is in \"unknown\" state, try killing it before restart"});
        }
      }
      continue;
    }
    bool restart = container::ShouldRestartOnFailure(pod);
    std::string message, reason;
    if (s->hash != expected_hash(c)) {
      message = "Container " + c.name + " definition changed";
      restart = true;  // a new spec runs regardless of the policy
    } else if (probes.liveness_failed(s->id)) {
      message = "Container " + c.name + " failed liveness probe";
      reason = "LivenessProbe";
    } else if (probes.startup_failed(s->id)) {
      message = "Container " + c.name + " failed startup probe";
      reason = "StartupProbe";
    } else {
      ++keep;
      continue;
    }
    if (restart) {
      message += ", will be restarted";
      a.containers_to_start.push_back(i);
    }
    a.containers_to_kill.push_back({s->id, s->name, reason, message});
  }
  if (keep == 0 && a.containers_to_start.empty()) {
    a.kill_pod = true;
  }
  return a;
}

}  // namespace capstan::kubelet::kuberuntime

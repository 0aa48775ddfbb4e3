#include "kubelet/status/generate.h"

#include <algorithm>

#include "kubelet/cm/qos.h"
#include "kubelet/status/container_statuses.h"

namespace capstan::kubelet::status {

namespace k8s = api::k8s;

namespace {

const k8s::ContainerStatus* FindStatus(const std::vector<k8s::ContainerStatus>& list,
                                       const std::string& name) {
  for (const auto& s : list) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

// Go's %s of a []string: "[a b]", which the upstream messages carry.
std::string GoList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? " " : "") + v[i];
  }
  return out + "]";
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

bool AnyRegularContainerStarted(const k8s::Pod& pod,
                                const std::vector<k8s::ContainerStatus>& statuses) {
  for (const auto& c : pod.spec.containers) {
    const auto* s = FindStatus(statuses, c.name);
    if (s && (s->state.running || s->state.terminated)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string PodPhase(const k8s::Pod& pod, const std::vector<k8s::ContainerStatus>& all) {
  int pending_init = 0, failed_init = 0;
  for (const auto& c : pod.spec.init_containers) {
    const auto* s = FindStatus(all, c.name);
    if (!s) {
      ++pending_init;
    } else if (s->state.running) {
      ++pending_init;
    } else if (s->state.terminated) {
      failed_init += s->state.terminated->exit_code != 0 ? 1 : 0;
    } else if (s->state.waiting) {
      if (s->last_state.terminated) {
        failed_init += s->last_state.terminated->exit_code != 0 ? 1 : 0;
      } else {
        ++pending_init;
      }
    } else {
      ++pending_init;
    }
  }
  int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const auto& c : pod.spec.containers) {
    const auto* s = FindStatus(all, c.name);
    if (!s) {
      ++unknown;
    } else if (s->state.running) {
      ++running;
    } else if (s->state.terminated) {
      ++stopped;
      succeeded += s->state.terminated->exit_code == 0 ? 1 : 0;
    } else if (s->state.waiting) {
      if (s->last_state.terminated) {
        ++stopped;
      } else {
        ++waiting;
      }
    } else {
      ++unknown;
    }
  }
  if (failed_init > 0 && pod.spec.restart_policy == "Never") {
    return "Failed";
  }
  if ((pending_init > 0 && !AnyRegularContainerStarted(pod, all)) || waiting > 0) {
    return "Pending";
  }
  if (running > 0 && unknown == 0) {
    return "Running";
  }
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (pod.spec.restart_policy == "Always") {
      return "Running";  // every container is on its way back
    }
    if (stopped == succeeded) {
      return "Succeeded";
    }
    if (pod.spec.restart_policy == "Never") {
      return "Failed";
    }
    return "Running";  // OnFailure, restarting the failed ones
  }
  return "Pending";
}

k8s::PodCondition InitializedCondition(const k8s::Pod& pod,
                                       const std::vector<k8s::ContainerStatus>& init,
                                       const std::string& phase) {
  std::vector<std::string> unknown, incomplete;
  for (const auto& c : pod.spec.init_containers) {
    const auto* s = FindStatus(init, c.name);
    if (!s) {
      unknown.push_back(c.name);
    } else if (!s->ready) {
      incomplete.push_back(c.name);
    }
  }
  if (phase == "Succeeded" && unknown.empty()) {
    return {"Initialized", "True", std::nullopt, std::nullopt, "PodCompleted", ""};
  }
  std::vector<std::string> messages;
  if (!unknown.empty()) {
    messages.push_back("containers with unknown status: " + GoList(unknown));
  }
  if (!incomplete.empty()) {
    messages.push_back("containers with incomplete status: " + GoList(incomplete));
  }
  if (!messages.empty()) {
    return {"Initialized",       "False", std::nullopt, std::nullopt, "ContainersNotInitialized",
            Join(messages, ", ")};
  }
  return {"Initialized", "True", std::nullopt, std::nullopt, "", ""};
}

k8s::PodCondition ContainersReadyCondition(const k8s::Pod& pod,
                                           const std::vector<k8s::ContainerStatus>& statuses,
                                           const std::string& phase) {
  std::vector<std::string> unknown, unready;
  for (const auto& c : pod.spec.containers) {
    const auto* s = FindStatus(statuses, c.name);
    if (!s) {
      unknown.push_back(c.name);
    } else if (!s->ready) {
      unready.push_back(c.name);
    }
  }
  if (phase == "Succeeded" && unknown.empty()) {
    return {"ContainersReady", "False", std::nullopt, std::nullopt, "PodCompleted", ""};
  }
  if (phase == "Failed") {
    return {"ContainersReady", "False", std::nullopt, std::nullopt, "PodFailed", ""};
  }
  std::vector<std::string> messages;
  if (!unknown.empty()) {
    messages.push_back("containers with unknown status: " + GoList(unknown));
  }
  if (!unready.empty()) {
    messages.push_back("containers with unready status: " + GoList(unready));
  }
  if (!messages.empty()) {
    return {"ContainersReady",   "False", std::nullopt, std::nullopt, "ContainersNotReady",
            Join(messages, ", ")};
  }
  return {"ContainersReady", "True", std::nullopt, std::nullopt, "", ""};
}

k8s::PodCondition ReadyCondition(const k8s::Pod& pod,
                                 const std::vector<k8s::ContainerStatus>& statuses,
                                 const std::string& phase) {
  k8s::PodCondition c = ContainersReadyCondition(pod, statuses, phase);
  c.type = "Ready";
  return c;
}

k8s::PodStatus GeneratePodStatus(const GenerateInputs& in) {
  const k8s::Pod& pod = *in.pod;
  const container::PodStatus& rt = *in.runtime;
  static const k8s::PodStatus kEmpty;
  const k8s::PodStatus& old = in.previous ? *in.previous : kEmpty;
  bool has_init = !pod.spec.init_containers.empty();

  k8s::PodStatus s;
  s.container_statuses = ConvertContainerStatuses(pod, rt, old.container_statuses,
                                                  pod.spec.containers, has_init, false, in.reasons);
  if (has_init) {
    s.init_container_statuses = ConvertContainerStatuses(
        pod, rt, old.init_container_statuses, pod.spec.init_containers, has_init, true, in.reasons);
  }
  std::vector<k8s::ContainerStatus> all = s.container_statuses;
  all.insert(all.end(), s.init_container_statuses.begin(), s.init_container_statuses.end());
  s.phase = PodPhase(pod, all);
  // A terminal phase is final: containers that disappear afterwards do not revive the pod.
  if (s.phase != "Failed" && s.phase != "Succeeded" &&
      (old.phase == "Failed" || old.phase == "Succeeded")) {
    s.phase = old.phase;
  }
  if (s.phase == old.phase) {
    s.reason = old.reason;
    s.message = old.message;
  }

  if (in.apply_probes) {
    in.apply_probes(pod, s);
  } else {
    for (auto& cs : s.container_statuses) {
      cs.started = cs.state.running.has_value();
      cs.ready = cs.state.running.has_value();
    }
  }
  for (auto& cs : s.init_container_statuses) {
    cs.ready = cs.state.terminated && cs.state.terminated->exit_code == 0;
  }

  s.conditions.push_back(InitializedCondition(pod, s.init_container_statuses, s.phase));
  s.conditions.push_back(ReadyCondition(pod, s.container_statuses, s.phase));
  s.conditions.push_back(ContainersReadyCondition(pod, s.container_statuses, s.phase));
  s.conditions.push_back({"PodScheduled", "True", std::nullopt, std::nullopt, "", ""});

  s.host_ip = in.host_ip;
  if (!in.host_ip.empty()) {
    s.host_ips.push_back({in.host_ip});
  }
  if (pod.spec.host_network) {
    s.pod_ip = in.host_ip;
    if (!in.host_ip.empty()) {
      s.pod_ips.push_back({in.host_ip});
    }
  } else {
    for (const auto& ip : rt.ips) {
      s.pod_ips.push_back({ip});
    }
    if (!rt.ips.empty()) {
      s.pod_ip = rt.ips[0];
    } else if (!old.pod_ip.empty()) {
      // Keep the address while the sandbox is being replaced or torn down.
      s.pod_ip = old.pod_ip;
      s.pod_ips = old.pod_ips;
    }
  }
  s.start_time = old.start_time;
  s.qos_class = cm::QosClassName(cm::ComputePodQos(pod));
  return s;
}

}  // namespace capstan::kubelet::status

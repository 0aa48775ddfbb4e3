#include "kubelet/status/display.h"

#include <fmt/format.h>

namespace capstan::kubelet::status {

std::string PodDisplayStatus(const api::k8s::Pod& pod, const api::k8s::PodStatus& status) {
  std::string reason = status.phase;
  if (!status.reason.empty()) {
    reason = status.reason;
  }
  bool initializing = false;
  const size_t n_init = pod.spec.init_containers.size();
  for (size_t i = 0; i < status.init_container_statuses.size(); ++i) {
    const auto& c = status.init_container_statuses[i];
    if (c.state.terminated && c.state.terminated->exit_code == 0) {
      continue;
    }
    if (c.state.terminated) {
      const auto& t = *c.state.terminated;
      if (!t.reason.empty()) {
        reason = "Init:" + t.reason;
      } else if (t.signal != 0) {
        reason = fmt::format("Init:Signal:{}", t.signal);
      } else {
        reason = fmt::format("Init:ExitCode:{}", t.exit_code);
      }
    } else if (c.state.waiting && !c.state.waiting->reason.empty() &&
               c.state.waiting->reason != "PodInitializing") {
      reason = "Init:" + c.state.waiting->reason;
    } else {
      reason = fmt::format("Init:{}/{}", i, n_init);
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    bool has_running = false;
    for (auto it = status.container_statuses.rbegin(); it != status.container_statuses.rend();
         ++it) {
      const auto& c = *it;
      if (c.state.waiting && !c.state.waiting->reason.empty()) {
        reason = c.state.waiting->reason;
      } else if (c.state.terminated && !c.state.terminated->reason.empty()) {
        reason = c.state.terminated->reason;
      } else if (c.state.terminated) {
        reason = c.state.terminated->signal != 0
                     ? fmt::format("Signal:{}", c.state.terminated->signal)
                     : fmt::format("ExitCode:{}", c.state.terminated->exit_code);
      } else if (c.ready && c.state.running) {
        has_running = true;
      }
    }
    // A pod that is "Completed" while one container still runs is shown as Running.
    if (reason == "Completed" && has_running) {
      bool ready = false;
      for (const auto& cond : status.conditions) {
        ready = ready || (cond.type == "Ready" && cond.status == "True");
      }
      reason = ready ? "Running" : "NotReady";
    }
  }
  if (pod.metadata.deletion_timestamp) {
    reason = "Terminating";
  }
  return reason;
}

}  // namespace capstan::kubelet::status

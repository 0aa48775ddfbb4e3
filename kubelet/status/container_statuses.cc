#include "kubelet/status/container_statuses.h"

#include <algorithm>
#include <map>

#include "api/k8s/meta.h"
#include "kubelet/container/helpers.h"
#include "kubelet/status/generate.h"

namespace capstan::kubelet::status {

using container::ContainerState;
namespace k8s = api::k8s;

namespace {

k8s::ContainerStatus Convert(const container::ContainerStatus& cs,
                             const k8s::ContainerStatus* old) {
  k8s::ContainerStatus s;
  s.name = cs.name;
  s.restart_count = cs.restart_count;
  s.image = cs.image;
  s.image_id = cs.image_ref;
  s.container_id = cs.FullId();
  switch (cs.state) {
    case ContainerState::kRunning:
      s.state.running = k8s::ContainerStateRunning{k8s::TruncateToSeconds(cs.started_at)};
      break;
    case ContainerState::kCreated:
      // Created but not running: "waiting to be running".
      s.state.waiting = k8s::ContainerStateWaiting{};
      break;
    case ContainerState::kExited: {
      k8s::ContainerStateTerminated t;
      t.exit_code = cs.exit_code;
      t.reason = cs.reason;
      t.message = cs.message;
      t.started_at = k8s::TruncateToSeconds(cs.started_at);
      t.finished_at = k8s::TruncateToSeconds(cs.finished_at);
      t.container_id = cs.FullId();
      s.state.terminated = t;
      break;
    }
    case ContainerState::kUnknown:
      if (old && old->state.running) {
        // It ran and is gone: that is a termination, not a container that never ran.
        k8s::ContainerStateTerminated t;
        t.exit_code = 137;
        t.reason = "ContainerStatusUnknown";
        t.message = "The container could not be located when the pod was terminated";
        s.state.terminated = t;
        s.restart_count = old->restart_count + 1;
      } else {
        s.state.waiting = k8s::ContainerStateWaiting{};
      }
      break;
  }
  return s;
}

}  // namespace

std::vector<k8s::ContainerStatus> ConvertContainerStatuses(
    const k8s::Pod& pod, const container::PodStatus& runtime,
    const std::vector<k8s::ContainerStatus>& previous,
    const std::vector<k8s::Container>& containers, bool has_init_containers, bool is_init,
    const ReasonCache* reasons) {
  std::map<std::string, k8s::ContainerStatus> old;
  for (const auto& s : previous) {
    old[s.name] = s;
  }
  const std::string default_reason = has_init_containers ? kPodInitializing : kContainerCreating;

  std::map<std::string, k8s::ContainerStatus> statuses;
  for (const auto& c : containers) {
    auto old_it = old.find(c.name);
    if (old_it != old.end() && old_it->second.state.terminated) {
      statuses[c.name] = old_it->second;
      continue;
    }
    k8s::ContainerStatus& s = statuses[c.name];
    s.name = c.name;
    s.image = c.image;
    s.state.waiting.emplace();
    s.state.waiting->reason = default_reason;
    if (old_it != old.end()) {
      s.restart_count = old_it->second.restart_count;
      s.last_state = old_it->second.last_state;
    }
  }

  // Containers the runtime no longer has but that were running: they terminated.
  for (const auto& c : containers) {
    if (runtime.FindContainer(c.name)) {
      continue;
    }
    auto it = old.find(c.name);
    if (it == old.end() || it->second.state.terminated || !it->second.state.running) {
      continue;
    }
    k8s::ContainerStatus& s = statuses[c.name];
    bool is_default = s.state.waiting && s.state.waiting->reason == default_reason;
    if (!is_default || s.last_state.terminated) {
      continue;
    }
    k8s::ContainerStateTerminated t;
    t.exit_code = 137;
    t.reason = "ContainerStatusUnknown";
    t.message =
        "The container could not be located when the pod was deleted.  The container used "
        "to be Running";
    s.last_state.terminated = t;
    if (!pod.metadata.deletion_timestamp) {
      s.restart_count += 1;
    }
  }

  // The newest run is the state, the one before it the last state (runtime lists newest
  // first).
  std::map<std::string, int> seen;
  for (const auto& cs : runtime.containers) {
    if (!statuses.contains(cs.name) || seen[cs.name] >= 2) {
      continue;
    }
    const k8s::ContainerStatus* old_ptr = old.contains(cs.name) ? &old.at(cs.name) : nullptr;
    k8s::ContainerStatus converted = Convert(cs, old_ptr);
    if (seen[cs.name] == 0) {
      statuses[cs.name] = converted;
    } else {
      statuses[cs.name].last_state = converted.state;
    }
    seen[cs.name]++;
  }

  // Containers that will be started again are waiting, with the reason their last start
  // failed (CrashLoopBackOff, ErrImagePull, ...).
  for (const auto& c : containers) {
    if (is_init) {
      const auto* s = runtime.FindContainer(c.name);
      if (s && s->state == ContainerState::kExited && s->exit_code == 0) {
        continue;
      }
    }
    if (!container::ShouldContainerBeRestarted(c, pod, runtime)) {
      continue;
    }
    std::optional<kuberuntime::ReasonedError> reason =
        reasons ? reasons->Get(pod.metadata.uid, c.name) : std::nullopt;
    if (!reason) {
      continue;
    }
    k8s::ContainerStatus& s = statuses[c.name];
    if (s.state.terminated) {
      s.last_state = s.state;
    }
    s.state = k8s::ContainerState{};
    s.state.waiting = k8s::ContainerStateWaiting{reason->reason, reason->message};
  }

  std::vector<k8s::ContainerStatus> out;
  if (is_init) {
    // Init containers keep the spec's order.
    for (const auto& c : containers) {
      out.push_back(statuses[c.name]);
    }
  } else {
    // App containers sort by name, as the API shows them.
    for (auto& [name, s] : statuses) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace capstan::kubelet::status

#include "kubelet/kubelet_server_host.h"

#include <algorithm>

#include "kubelet/kuberuntime/pod_config.h"

namespace capstan::kubelet {

namespace v1 = api::cri::v1;

std::vector<api::k8s::Pod> KubeletServerHost::GetPods() {
  // As upstream's GetPods without an API server: the pods with the status the kubelet
  // computed for them.
  std::vector<api::k8s::Pod> pods = kubelet_->GetPods();
  for (auto& p : pods) {
    if (auto status = kubelet_->GetPodStatus(p.metadata.uid)) {
      p.status = std::move(*status);
    }
  }
  return pods;
}

Result<std::vector<api::k8s::Pod>> KubeletServerHost::GetRunningPods() {
  CAPSTAN_ASSIGN_OR_RETURN(auto running, kubelet_->runtime().GetPods(false));
  std::vector<api::k8s::Pod> out;
  for (const auto& rp : running) {
    api::k8s::Pod p;
    p.metadata.name = rp.name;
    p.metadata.namespace_ = rp.namespace_;
    p.metadata.uid = rp.uid;
    for (const auto& c : rp.containers) {
      api::k8s::Container ac;
      ac.name = c.name;
      ac.image = c.image;
      p.spec.containers.push_back(std::move(ac));
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<server::LogTarget> KubeletServerHost::ContainerLog(const std::string& ns,
                                                          const std::string& pod_name,
                                                          const std::string& container,
                                                          bool previous) {
  std::optional<api::k8s::Pod> pod;
  for (auto& p : kubelet_->GetPods()) {
    if (p.metadata.namespace_ == ns && p.metadata.name == pod_name) {
      pod = std::move(p);
      break;
    }
  }
  if (!pod) {
    return Fail(Code::kNotFound, "pod {:?} does not exist", pod_name);
  }
  auto in_spec = [&](const std::vector<api::k8s::Container>& cs) {
    return std::any_of(cs.begin(), cs.end(), [&](const auto& c) { return c.name == container; });
  };
  if (!in_spec(pod->spec.containers) && !in_spec(pod->spec.init_containers)) {
    return Fail(Code::kNotFound, "container {:?} not found in pod {:?}", container, pod_name);
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto status,
                           kubelet_->runtime().GetPodStatus(pod->metadata.uid, pod_name, ns));
  // Instances of the container, newest first.
  std::vector<const container::ContainerStatus*> instances;
  for (const auto& c : status.containers) {
    if (c.name == container) {
      instances.push_back(&c);
    }
  }
  if (instances.empty()) {
    return Fail(Code::kFailedPrecondition, "container {:?} in pod {:?} is waiting to start",
                container, pod_name);
  }
  const container::ContainerStatus* target = instances.front();
  if (previous) {
    // The dead instance with the highest restart count below the current one's.
    const container::ContainerStatus* prev = nullptr;
    for (const auto* c : instances) {
      if (c->restart_count < target->restart_count &&
          c->state == container::ContainerState::kExited &&
          (!prev || c->restart_count > prev->restart_count)) {
        prev = c;
      }
    }
    if (!prev) {
      return Fail(Code::kFailedPrecondition,
                  "previous terminated container {:?} in pod {:?} not found", container, pod_name);
    }
    target = prev;
  }
  v1::ContainerStatusRequest req;
  req.set_container_id(target->id);
  CAPSTAN_ASSIGN_OR_RETURN(auto st, runtime_->ContainerStatus(req));
  if (st.status().log_path().empty()) {
    return Fail(Code::kFailedPrecondition, "container {:?} in pod {:?} has no log", container,
                pod_name);
  }
  server::LogTarget t;
  t.path = st.status().log_path();
  if (t.path.front() != '/') {
    // Relative to the sandbox's log directory, as ContainerConfig.log_path is.
    t.path = kuberuntime::PodLogDirectory(kubelet_->runtime().node(), *pod) + "/" + t.path;
  }
  std::string id = target->id;
  auto* runtime = runtime_;
  t.is_running = [runtime, id] {
    v1::ContainerStatusRequest r;
    r.set_container_id(id);
    auto s = runtime->ContainerStatus(r);
    return s && s->status().state() == v1::CONTAINER_RUNNING;
  };
  return t;
}

Result<cadvisor::Summary> KubeletServerHost::GetSummary(bool only_cpu_and_memory,
                                                        bool* incomplete) {
  if (!stats_) {
    return Fail(Code::kUnimplemented, "stats are not available");
  }
  return stats_->Get(only_cpu_and_memory, incomplete);
}

}  // namespace capstan::kubelet

// Reading pods back from the runtime: GetPodStatus and GetPods.
#include <algorithm>
#include <map>
#include <tuple>

#include "common/file.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/kuberuntime/runtime_manager.h"

namespace capstan::kubelet::kuberuntime {

namespace v1 = api::cri::v1;
using container::ContainerState;

namespace {

ContainerState FromCri(v1::ContainerState s) {
  switch (s) {
    case v1::CONTAINER_CREATED: return ContainerState::kCreated;
    case v1::CONTAINER_RUNNING: return ContainerState::kRunning;
    case v1::CONTAINER_EXITED: return ContainerState::kExited;
    default: return ContainerState::kUnknown;
  }
}

// The message a container left at its terminationMessagePath (at most 4 KiB, as upstream).
std::string TerminationMessage(const v1::ContainerStatus& s) {
  std::string path = LabelOr(s.annotations(), kTerminationMessagePathAnnotation);
  if (path.empty()) {
    return "";
  }
  for (const auto& m : s.mounts()) {
    if (m.container_path() == path) {
      auto text = ReadFile(m.host_path());
      if (text) {
        return text->substr(0, 4096);
      }
    }
  }
  return "";
}

}  // namespace

container::ContainerStatus ToContainerStatus(const v1::ContainerStatus& s,
                                             const std::string& runtime_name) {
  container::ContainerStatus c;
  c.id = s.id();
  c.type = runtime_name;
  c.name = s.metadata().name();
  c.state = FromCri(s.state());
  c.created_at = FromUnixNanos(s.created_at());
  c.started_at = FromUnixNanos(s.started_at());
  c.finished_at = FromUnixNanos(s.finished_at());
  c.exit_code = s.exit_code();
  c.image = s.image().user_specified_image().empty() ? s.image().image()
                                                     : s.image().user_specified_image();
  c.image_ref = s.image_ref().empty() ? s.image_id() : s.image_ref();
  c.reason = s.reason();
  c.message = s.message();
  c.restart_count = RestartCountOf(s.annotations());
  c.hash = LabelOr(s.annotations(), kContainerHashAnnotation);
  if (c.state == ContainerState::kExited) {
    std::string msg = TerminationMessage(s);
    if (!msg.empty()) {
      c.message = msg;
    }
  }
  return c;
}

Status RuntimeManager::Init() {
  CAPSTAN_ASSIGN_OR_RETURN(auto v, deps_.runtime->Version({}));
  runtime_name_ = v.runtime_name().empty() ? "cri" : v.runtime_name();
  return Ok();
}

Result<container::PodStatus> RuntimeManager::GetPodStatus(const std::string& uid,
                                                          const std::string& name,
                                                          const std::string& ns) {
  container::PodStatus ps;
  ps.uid = uid;
  ps.name = name;
  ps.namespace_ = ns;
  v1::ListPodSandboxRequest list;
  (*list.mutable_filter()->mutable_label_selector())[kPodUidLabel] = uid;
  CAPSTAN_ASSIGN_OR_RETURN(auto sandboxes, deps_.runtime->ListPodSandbox(list));
  for (const auto& item : sandboxes.items()) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(item.id());
    auto st = deps_.runtime->PodSandboxStatus(req);
    if (!st) {
      if (st.error().code() == Code::kNotFound) {
        continue;  // removed since the list
      }
      return Fail(st.error().Wrap("sandbox {}", item.id()));
    }
    const auto& s = st->status();
    container::SandboxStatus sb;
    sb.id = s.id();
    sb.ready = s.state() == v1::SANDBOX_READY;
    sb.created_at = FromUnixNanos(s.created_at());
    sb.attempt = s.metadata().attempt();
    sb.has_network_status = s.has_network();
    sb.ip = s.network().ip();
    for (const auto& ip : s.network().additional_ips()) {
      sb.additional_ips.push_back(ip.ip());
    }
    sb.host_network = s.linux().namespaces().options().network() == v1::NODE;
    ps.sandboxes.push_back(std::move(sb));
  }
  // Newest first; equal creation times (coarse runtime clocks) fall back to the attempt.
  std::sort(ps.sandboxes.begin(), ps.sandboxes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_at, a.attempt) > std::tie(b.created_at, b.attempt);
  });
  if (!ps.sandboxes.empty() && ps.sandboxes.front().ready) {
    const auto& newest = ps.sandboxes.front();
    if (!newest.ip.empty()) {
      ps.ips.push_back(newest.ip);
    }
    ps.ips.insert(ps.ips.end(), newest.additional_ips.begin(), newest.additional_ips.end());
  }

  v1::ListContainersRequest clist;
  (*clist.mutable_filter()->mutable_label_selector())[kPodUidLabel] = uid;
  CAPSTAN_ASSIGN_OR_RETURN(auto containers, deps_.runtime->ListContainers(clist));
  for (const auto& item : containers.containers()) {
    v1::ContainerStatusRequest req;
    req.set_container_id(item.id());
    auto st = deps_.runtime->ContainerStatus(req);
    if (!st) {
      if (st.error().code() == Code::kNotFound) {
        continue;
      }
      return Fail(st.error().Wrap("container {}", item.id()));
    }
    auto c = ToContainerStatus(st->status(), runtime_name_);
    c.sandbox_id = item.pod_sandbox_id();
    ps.containers.push_back(std::move(c));
  }
  std::sort(ps.containers.begin(), ps.containers.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_at, a.restart_count, a.id) >
           std::tie(b.created_at, b.restart_count, b.id);
  });
  return ps;
}

Result<std::vector<container::RunningPod>> RuntimeManager::GetPods(bool all) {
  std::map<std::string, container::RunningPod> pods;
  auto pod_of = [&](const LabelMap& labels, const auto& md) -> container::RunningPod* {
    std::string uid = LabelOr(labels, kPodUidLabel);
    if (uid.empty()) {
      return nullptr;  // not made by a kubelet
    }
    auto& p = pods[uid];
    p.uid = uid;
    if (p.name.empty()) {
      p.name = LabelOr(labels, kPodNameLabel);
      p.namespace_ = LabelOr(labels, kPodNamespaceLabel);
    }
    return &p;
  };
  v1::ListPodSandboxRequest list;
  if (!all) {
    list.mutable_filter()->mutable_state()->set_state(v1::SANDBOX_READY);
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto sandboxes, deps_.runtime->ListPodSandbox(list));
  for (const auto& s : sandboxes.items()) {
    if (auto* p = pod_of(s.labels(), s.metadata())) {
      p->sandboxes.push_back({s.id(), s.state() == v1::SANDBOX_READY});
    }
  }
  v1::ListContainersRequest clist;
  if (!all) {
    clist.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto containers, deps_.runtime->ListContainers(clist));
  for (const auto& c : containers.containers()) {
    if (auto* p = pod_of(c.labels(), c.metadata())) {
      // The image as the pod names it when the runtime kept that, else the runtime's ref.
      const auto& image = c.image().user_specified_image().empty()
                              ? c.image().image()
                              : c.image().user_specified_image();
      p->containers.push_back({c.id(), c.metadata().name(), FromCri(c.state()), image});
    }
  }
  std::vector<container::RunningPod> out;
  for (auto& [uid, p] : pods) {
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace capstan::kubelet::kuberuntime

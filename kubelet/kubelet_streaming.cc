// The kubelet API's exec, attach, port-forward and run: the pod and container are looked up
// by name, then the runtime's CRI Exec/Attach/PortForward gives the streaming URL the
// server proxies to (upstream's GetExec, GetAttach, GetPortForward, RunInContainer).
#include "kubelet/kubelet_server_host.h"

namespace capstan::kubelet {

namespace v1 = api::cri::v1;

Result<std::pair<api::k8s::Pod, container::PodStatus>> KubeletServerHost::FindPod(
    const std::string& ns, const std::string& name, const std::string& uid) {
  for (auto& p : kubelet_->GetPods()) {
    if (p.metadata.namespace_ != ns || p.metadata.name != name) continue;
    if (!uid.empty() && p.metadata.uid != uid) continue;
    CAPSTAN_ASSIGN_OR_RETURN(auto status,
                             kubelet_->runtime().GetPodStatus(p.metadata.uid, name, ns));
    return std::make_pair(std::move(p), std::move(status));
  }
  return Fail(Code::kNotFound, "pod {:?} does not exist", name);
}

Result<std::string> KubeletServerHost::RunningContainer(const std::string& ns,
                                                        const std::string& pod,
                                                        const std::string& uid,
                                                        const std::string& name) {
  CAPSTAN_ASSIGN_OR_RETURN(auto found, FindPod(ns, pod, uid));
  const container::ContainerStatus* c = found.second.FindContainer(name);
  if (c == nullptr) {
    return Fail(Code::kNotFound, "container {:?} not found in pod {:?}", name, pod);
  }
  if (c->state != container::ContainerState::kRunning) {
    return Fail(Code::kFailedPrecondition, "container {:?} in pod {:?} is not running", name, pod);
  }
  return c->id;
}

Result<std::string> KubeletServerHost::GetStreamingUrl(const server::StreamRequest& r) {
  using Kind = server::StreamRequest::Kind;
  if (r.kind == Kind::kPortForward) {
    CAPSTAN_ASSIGN_OR_RETURN(auto found, FindPod(r.ns, r.pod, r.uid));
    const auto& sandboxes = found.second.sandboxes;
    auto ready =
        std::find_if(sandboxes.begin(), sandboxes.end(), [](const auto& s) { return s.ready; });
    if (ready == sandboxes.end()) {
      return Fail(Code::kFailedPrecondition, "pod {:?} has no running sandbox", r.pod);
    }
    v1::PortForwardRequest req;
    req.set_pod_sandbox_id(ready->id);
    for (int32_t port : r.ports) req.add_port(port);
    CAPSTAN_ASSIGN_OR_RETURN(auto resp, runtime_->PortForward(req));
    return resp.url();
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string id, RunningContainer(r.ns, r.pod, r.uid, r.container));
  if (r.kind == Kind::kAttach) {
    v1::AttachRequest req;
    req.set_container_id(id);
    req.set_tty(r.tty);
    req.set_stdin(r.stdin);
    req.set_stdout(r.stdout);
    req.set_stderr(r.stderr);
    CAPSTAN_ASSIGN_OR_RETURN(auto resp, runtime_->Attach(req));
    return resp.url();
  }
  v1::ExecRequest req;
  req.set_container_id(id);
  for (const auto& a : r.cmd) req.add_cmd(a);
  req.set_tty(r.tty);
  req.set_stdin(r.stdin);
  req.set_stdout(r.stdout);
  req.set_stderr(r.stderr);
  CAPSTAN_ASSIGN_OR_RETURN(auto resp, runtime_->Exec(req));
  return resp.url();
}

Result<std::string> KubeletServerHost::RunInContainer(const std::string& ns, const std::string& pod,
                                                      const std::string& uid,
                                                      const std::string& container,
                                                      const std::vector<std::string>& cmd) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string id, RunningContainer(ns, pod, uid, container));
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& a : cmd) req.add_cmd(a);
  CAPSTAN_ASSIGN_OR_RETURN(auto resp, runtime_->ExecSync(req));
  // Upstream answers the combined output, stdout first.
  return resp.stdout() + resp.stderr();
}

}  // namespace capstan::kubelet

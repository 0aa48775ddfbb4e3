// PodSandboxStatus and ListPodSandbox.
#include <nlohmann/json.hpp>

#include "cri/runtime/label_filter.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

Result<v1::PodSandboxStatusResponse> Runtime::PodSandboxStatus(
    const v1::PodSandboxStatusRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto s, records_.Sandbox(req.pod_sandbox_id()));
  v1::PodSandboxStatusResponse resp;
  std::lock_guard lock(s->mu);
  auto* st = resp.mutable_status();
  st->set_id(s->id);
  *st->mutable_metadata() = s->config.metadata();
  st->set_state(s->state);
  st->set_created_at(s->created_at);
  if (!s->ip.empty()) {
    st->mutable_network()->set_ip(s->ip);
    for (const auto& ip : s->additional_ips) {
      st->mutable_network()->add_additional_ips()->set_ip(ip);
    }
  }
  *st->mutable_linux()->mutable_namespaces()->mutable_options() =
      s->config.linux().security_context().namespace_options();
  *st->mutable_labels() = s->config.labels();
  *st->mutable_annotations() = s->config.annotations();
  st->set_runtime_handler(s->runtime_handler);
  if (req.verbose()) {
    nlohmann::json info{{"netns", s->netns},
                        {"ipcns", s->ipcns},
                        {"utsns", s->utsns},
                        {"shm", s->shm},
                        {"cgroupParent", s->config.linux().cgroup_parent()}};
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

Result<v1::ListPodSandboxResponse> Runtime::ListPodSandbox(const v1::ListPodSandboxRequest& req) {
  v1::ListPodSandboxResponse resp;
  const auto& f = req.filter();
  for (const auto& s : records_.Sandboxes()) {
    std::lock_guard lock(s->mu);
    if (!f.id().empty() && s->id.compare(0, f.id().size(), f.id()) != 0) {
      continue;
    }
    if (f.has_state() && f.state().state() != s->state) {
      continue;
    }
    if (!LabelsMatch(f.label_selector(), s->config.labels())) {
      continue;
    }
    auto* item = resp.add_items();
    item->set_id(s->id);
    *item->mutable_metadata() = s->config.metadata();
    item->set_state(s->state);
    item->set_created_at(s->created_at);
    *item->mutable_labels() = s->config.labels();
    *item->mutable_annotations() = s->config.annotations();
    item->set_runtime_handler(s->runtime_handler);
  }
  return resp;
}

}  // namespace capstan::cri::runtime

// ContainerStatus and ListContainers.
#include <nlohmann/json.hpp>

#include "cri/runtime/label_filter.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

Result<v1::ContainerStatusResponse> Runtime::ContainerStatus(
    const v1::ContainerStatusRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  v1::ContainerStatusResponse resp;
  std::lock_guard lock(c->mu);
  auto* st = resp.mutable_status();
  st->set_id(c->id);
  *st->mutable_metadata() = c->config.metadata();
  st->set_state(c->state);
  st->set_created_at(c->created_at);
  st->set_started_at(c->started_at);
  st->set_finished_at(c->finished_at);
  st->set_exit_code(c->exit_code);
  st->mutable_image()->set_image(c->image_ref);
  *st->mutable_image()->mutable_annotations() = c->config.image().annotations();
  st->set_image_ref(c->image_id);
  st->set_image_id(c->image_id);
  st->set_reason(c->reason);
  st->set_message(c->message);
  *st->mutable_labels() = c->config.labels();
  *st->mutable_annotations() = c->config.annotations();
  *st->mutable_mounts() = c->config.mounts();
  st->set_log_path(c->log_path);
  if (c->config.linux().has_resources()) {
    *st->mutable_resources()->mutable_linux() = c->config.linux().resources();
  }
  if (req.verbose()) {
    nlohmann::json info{{"sandboxID", c->sandbox_id},
                        {"pid", c->pid},
                        {"monitorPid", c->monitor_pid},
                        {"cgroupPath", c->cgroup_path},
                        {"rootfs", ContainerStateDir(c->id) + "/rootfs"}};
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

Result<v1::ListContainersResponse> Runtime::ListContainers(const v1::ListContainersRequest& req) {
  v1::ListContainersResponse resp;
  const auto& f = req.filter();
  for (const auto& c : records_.Containers()) {
    std::lock_guard lock(c->mu);
    if (!f.id().empty() && c->id.compare(0, f.id().size(), f.id()) != 0) {
      continue;
    }
    if (!f.pod_sandbox_id().empty() &&
        c->sandbox_id.compare(0, f.pod_sandbox_id().size(), f.pod_sandbox_id()) != 0) {
      continue;
    }
    if (f.has_state() && f.state().state() != c->state) {
      continue;
    }
    if (!LabelsMatch(f.label_selector(), c->config.labels())) {
      continue;
    }
    auto* item = resp.add_containers();
    item->set_id(c->id);
    item->set_pod_sandbox_id(c->sandbox_id);
    *item->mutable_metadata() = c->config.metadata();
    item->mutable_image()->set_image(c->image_ref);
    item->set_image_ref(c->image_id);
    item->set_image_id(c->image_id);
    item->set_state(c->state);
    item->set_created_at(c->created_at);
    *item->mutable_labels() = c->config.labels();
    *item->mutable_annotations() = c->config.annotations();
  }
  return resp;
}

}  // namespace capstan::cri::runtime

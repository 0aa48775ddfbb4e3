// PodSandboxStats and ListPodSandboxStats: the pod's cgroup (its CRI cgroup_parent), its
// network namespace's interfaces, and its running containers.
#include "cadvisor-lite/parsers.h"
#include "common/file.h"
#include "common/time.h"
#include "cri/runtime/label_filter.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

void Runtime::FillSandboxStats(SandboxRecord& s, v1::PodSandboxStats* out) {
  int64_t now = UnixNanos(WallNow());
  std::string cgroup_parent, netns;
  {
    std::lock_guard lock(s.mu);
    auto* attrs = out->mutable_attributes();
    attrs->set_id(s.id);
    *attrs->mutable_metadata() = s.config.metadata();
    *attrs->mutable_labels() = s.config.labels();
    *attrs->mutable_annotations() = s.config.annotations();
    cgroup_parent = s.config.linux().cgroup_parent();
    netns = s.netns;
  }
  auto* linux = out->mutable_linux();
  if (!cgroup_parent.empty()) {
    if (auto st = deps_.cgroups->Stats(cgroup_parent)) {
      FillCgroupUsage("sandbox:" + s.id, now, *st, linux->mutable_cpu(), linux->mutable_memory());
      if (st->pids) {
        linux->mutable_process()->set_timestamp(now);
        linux->mutable_process()->mutable_process_count()->set_value(*st->pids);
      }
    }
  }
  // capstan keeps no pause process: the interfaces are read through a running container's
  // /proc entry, which shows the pod's network namespace.
  pid_t in_pod = 0;
  for (const auto& c : records_.Containers()) {
    std::lock_guard lock(c->mu);
    if (c->sandbox_id == s.id && c->state == v1::CONTAINER_RUNNING && c->pid > 0) {
      in_pod = c->pid;
      break;
    }
  }
  if (!netns.empty() && in_pod > 0) {
    if (auto text = ReadFile(fmt::format("/proc/{}/net/dev", in_pod))) {
      auto* net = linux->mutable_network();
      net->set_timestamp(now);
      for (const auto& i : cadvisor::ParseNetDev(*text)) {
        if (i.name == "lo") {
          continue;  // as upstream: the pod's traffic, not its loopback
        }
        auto* u = i.name == "eth0" && !net->has_default_interface()
                      ? net->mutable_default_interface()
                      : net->add_interfaces();
        u->set_name(i.name);
        u->mutable_rx_bytes()->set_value(i.rx_bytes);
        u->mutable_rx_errors()->set_value(i.rx_errors);
        u->mutable_tx_bytes()->set_value(i.tx_bytes);
        u->mutable_tx_errors()->set_value(i.tx_errors);
      }
    }
  }
  for (const auto& c : records_.Containers()) {
    {
      std::lock_guard lock(c->mu);
      if (c->sandbox_id != s.id || c->state != v1::CONTAINER_RUNNING) {
        continue;
      }
    }
    FillContainerStats(*c, linux->add_containers());
  }
}

Result<v1::PodSandboxStatsResponse> Runtime::PodSandboxStats(
    const v1::PodSandboxStatsRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto s, records_.Sandbox(req.pod_sandbox_id()));
  v1::PodSandboxStatsResponse resp;
  FillSandboxStats(*s, resp.mutable_stats());
  return resp;
}

Result<v1::ListPodSandboxStatsResponse> Runtime::ListPodSandboxStats(
    const v1::ListPodSandboxStatsRequest& req) {
  v1::ListPodSandboxStatsResponse resp;
  const auto& f = req.filter();
  for (const auto& s : records_.Sandboxes()) {
    {
      std::lock_guard lock(s->mu);
      if (s->state != v1::SANDBOX_READY) {
        continue;
      }
      if (!f.id().empty() && s->id.compare(0, f.id().size(), f.id()) != 0) {
        continue;
      }
      if (!LabelsMatch(f.label_selector(), s->config.labels())) {
        continue;
      }
    }
    FillSandboxStats(*s, resp.add_stats());
  }
  return resp;
}

}  // namespace capstan::cri::runtime

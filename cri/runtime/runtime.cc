// Runtime construction, recovery after a restart, and the runtime-wide RPCs.
#include "cri/runtime/runtime.h"

#include <sys/mount.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/time.h"
#include "cri/monitor/exit_status.h"
#include "cri/runtime/namespaces.h"

namespace capstan::cri::runtime {

namespace {
const log::Logger kLog("cri.runtime");
constexpr const char* kVersion = "0.1.0";
}  // namespace

Runtime::Runtime(Deps deps)
    : deps_(std::move(deps)), config_(deps_.config), records_(deps_.config.root) {}

Runtime::~Runtime() { watcher_.reset(); }

Result<std::unique_ptr<Runtime>> Runtime::Create(Deps deps) {
  std::unique_ptr<Runtime> rt(new Runtime(std::move(deps)));
  CAPSTAN_TRY(MkdirAll(rt->config_.state + "/sandboxes", 0700));
  CAPSTAN_TRY(MkdirAll(rt->config_.state + "/containers", 0700));
  rt->watcher_ = std::make_unique<ExitWatcher>(
      [raw = rt.get()](const std::string& id) { raw->OnMonitorExit(id); });
  CAPSTAN_TRY(rt->Recover());
  return rt;
}

std::string Runtime::SandboxStateDir(const std::string& id) const {
  return config_.state + "/sandboxes/" + id;
}
std::string Runtime::ContainerStateDir(const std::string& id) const {
  return config_.state + "/containers/" + id;
}

void Runtime::OnMonitorExit(const std::string& id) {
  auto c = records_.Container(id);
  if (!c) {
    return;
  }
  auto status_text = ReadFile(ContainerStateDir(id) + "/exit.json");
  {
    std::lock_guard lock((*c)->mu);
    if ((*c)->state != v1::CONTAINER_RUNNING) {
      return;
    }
    (*c)->state = v1::CONTAINER_EXITED;
    auto st = status_text ? monitor::ExitStatusFromJson(*status_text)
                          : Result<monitor::ExitStatus>(Fail(status_text.error()));
    if (st) {
      (*c)->exit_code = st->exit_code;
      (*c)->finished_at = st->finished_at_ns;
      (*c)->reason = st->reason;
      (*c)->message = st->message;
    } else {
      // The monitor died without a record (it was killed): the exit code is unknown.
      (*c)->exit_code = 255;
      (*c)->finished_at = UnixNanos(WallNow());
      (*c)->reason = "Unknown";
      (*c)->message = "container monitor exited without recording the exit status";
    }
    (void)records_.Persist(**c);
    kLog.Info("container exited",
              {{"id", id}, {"exit_code", (*c)->exit_code}, {"reason", (*c)->reason}});
  }
  // Whether it was stopped or exited on its own.
  EmitEvent(id, (*c)->sandbox_id, v1::CONTAINER_STOPPED_EVENT);
  std::lock_guard lock(exit_mu_);
  exit_cv_.notify_all();
}

Status Runtime::Recover() {
  CAPSTAN_ASSIGN_OR_RETURN(RecordStore::Orphans orphans, records_.Load());
  // Creations a crash interrupted: nothing refers to them; remove what they left.
  for (const auto& id : orphans.container_dirs) {
    ::umount2((ContainerStateDir(id) + "/rootfs").c_str(), MNT_DETACH);
    if (auto cg = ReadFile(ContainerStateDir(id) + "/cgroup")) {
      (void)deps_.cgroups->Destroy(*cg);
    }
    (void)RemoveAll(ContainerStateDir(id));
    (void)RemoveAll(records_.ContainerDir(id));
    kLog.Info("removed an interrupted container creation", {{"id", id}});
  }
  for (const auto& id : orphans.sandbox_dirs) {
    for (const char* ns : {"net", "ipc", "uts"}) {
      (void)UnpinNamespace(SandboxStateDir(id) + "/ns/" + ns);
    }
    ::umount2((SandboxStateDir(id) + "/shm").c_str(), MNT_DETACH);
    (void)RemoveAll(SandboxStateDir(id));
    (void)RemoveAll(records_.SandboxDir(id));
    kLog.Info("removed an interrupted sandbox creation", {{"id", id}});
  }
  for (const auto& s : records_.Sandboxes()) {
    std::lock_guard lock(s->mu);
    // After a reboot the pinned namespaces are gone: the sandbox cannot be ready.
    if (s->state == v1::SANDBOX_READY && !s->netns.empty() && !PathExists(s->netns)) {
      s->state = v1::SANDBOX_NOTREADY;
      (void)records_.Persist(*s);
    }
  }
  for (const auto& c : records_.Containers()) {
    bool watch = false;
    {
      std::lock_guard lock(c->mu);
      if (c->state == v1::CONTAINER_RUNNING) {
        bool monitor_alive =
            c->monitor_pid > 0 && ProcessStartTime(c->monitor_pid) == c->monitor_start_time;
        watch = monitor_alive;
      }
    }
    if (watch) {
      CAPSTAN_TRY(watcher_->Watch(c->id, c->monitor_pid));
    } else if (c->state == v1::CONTAINER_RUNNING) {
      OnMonitorExit(c->id);
    }
  }
  kLog.Info("recovered state", {{"sandboxes", records_.Sandboxes().size()},
                                {"containers", records_.Containers().size()}});
  return Ok();
}

bool Runtime::ImageInUse(std::string_view image_id) const {
  for (const auto& c : records_.Containers()) {
    std::lock_guard lock(c->mu);
    if (c->image_id == image_id) {
      return true;
    }
  }
  return false;
}

Result<v1::VersionResponse> Runtime::Version(const v1::VersionRequest&) {
  v1::VersionResponse r;
  r.set_version("0.1.0");
  r.set_runtime_name("capstan");
  r.set_runtime_version(kVersion);
  r.set_runtime_api_version("v1");
  return r;
}

Result<v1::StatusResponse> Runtime::Status(const v1::StatusRequest& req) {
  v1::StatusResponse r;
  auto* runtime_ready = r.mutable_status()->add_conditions();
  runtime_ready->set_type("RuntimeReady");
  runtime_ready->set_status(true);
  auto* network_ready = r.mutable_status()->add_conditions();
  network_ready->set_type("NetworkReady");
  auto net = deps_.network->Ready();
  network_ready->set_status(net.has_value());
  if (!net) {
    network_ready->set_reason("NetworkPluginNotReady");
    network_ready->set_message(net.error().message());
  }
  if (req.verbose()) {
    (*r.mutable_info())["config"] =
        fmt::format(R"({{"root":"{}","state":"{}","cgroupDriver":"{}","cgroupVersion":"{}"}})",
                    config_.root, config_.state, config_.cgroup_driver, deps_.cgroups->Version());
  }
  return r;
}

Result<v1::RuntimeConfigResponse> Runtime::RuntimeConfig(const v1::RuntimeConfigRequest&) {
  v1::RuntimeConfigResponse r;
  r.mutable_linux()->set_cgroup_driver(config_.cgroup_driver == "systemd" ? v1::SYSTEMD
                                                                          : v1::CGROUPFS);
  return r;
}

Result<v1::UpdateRuntimeConfigResponse> Runtime::UpdateRuntimeConfig(
    const v1::UpdateRuntimeConfigRequest& req) {
  // The node's pod CIDRs (comma-separated, as the kubelet sends Node.spec.podCIDRs) become
  // CNI's ipRanges capability for the pods set up from now on.
  const std::string& cidrs = req.runtime_config().network_config().pod_cidr();
  std::vector<std::string> list;
  for (size_t start = 0; start < cidrs.size();) {
    size_t end = cidrs.find(',', start);
    if (end == std::string::npos) end = cidrs.size();
    if (end > start) list.push_back(cidrs.substr(start, end - start));
    start = end + 1;
  }
  deps_.network->SetPodCidrs(std::move(list));
  return v1::UpdateRuntimeConfigResponse{};
}

}  // namespace capstan::cri::runtime

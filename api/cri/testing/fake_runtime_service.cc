#include "api/cri/testing/fake_runtime_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "api/cri/testing/fake_image_service.h"

namespace capstan::api::cri::testing {
namespace {

template <typename Map>
bool LabelsMatch(const Map& labels, const Map& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      return false;
    }
  }
  return true;
}

}  // namespace

FakeRuntimeService::FakeRuntimeService(const Clock* clock, FakeImageService* images)
    : clock_(clock), images_(images) {}

int64_t FakeRuntimeService::NowNanos() const {
  return UnixNanos(clock_ ? clock_->Now() : WallNow());
}

Status FakeRuntimeService::ExitContainer(const std::string& id, int32_t exit_code,
                                         std::string reason) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Fail(Code::kNotFound, "container {} not found", id);
  }
  if (it->second.state != v1::CONTAINER_RUNNING) {
    return Fail(Code::kFailedPrecondition, "container {} is not running", id);
  }
  Container& c = it->second;
  c.state = v1::CONTAINER_EXITED;
  c.exit_code = exit_code;
  c.finished_at = NowNanos();
  c.reason = !reason.empty() ? std::move(reason) : exit_code == 0 ? "Completed" : "Error";
  EmitLocked(c.id, c.sandbox_id, v1::CONTAINER_STOPPED_EVENT);
  return Ok();
}

Status FakeRuntimeService::SetSandboxNotReady(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) {
    return Fail(Code::kNotFound, "sandbox {} not found", id);
  }
  if (it->second.state != v1::SANDBOX_NOTREADY) {
    it->second.state = v1::SANDBOX_NOTREADY;
    EmitLocked(id, id, v1::CONTAINER_STOPPED_EVENT);
  }
  return Ok();
}

void FakeRuntimeService::SetExecHandler(ExecHandler handler) {
  std::lock_guard lock(mu_);
  exec_handler_ = std::move(handler);
}

void FakeRuntimeService::SetStopExitCode(std::optional<int32_t> code) {
  std::lock_guard lock(mu_);
  stop_exit_code_ = code;
}

void FakeRuntimeService::SetAssignIps(bool assign) {
  std::lock_guard lock(mu_);
  assign_ips_ = assign;
}

void FakeRuntimeService::PushContainerEvent(const v1::ContainerEventResponse& event) {
  std::lock_guard lock(mu_);
  for (auto& sub : subscribers_) {
    sub->queue.push_back(event);
  }
  events_cv_.notify_all();
}

void FakeRuntimeService::FailContainerEventStreams(const Error& error) {
  std::lock_guard lock(mu_);
  for (auto& sub : subscribers_) {
    sub->failure = error;
  }
  events_cv_.notify_all();
}

int FakeRuntimeService::ContainerEventSubscribers() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(subscribers_.size());
}

::capstan::Status FakeRuntimeService::GetContainerEvents(
    const v1::GetEventsRequest& request, const ContainerEventSink& sink, const CancelToken& cancel,
    const std::function<void()>& on_connected) {
  CAPSTAN_TRY(recorder_.Record("GetContainerEvents"));
  auto sub = std::make_shared<EventSubscriber>();
  {
    std::lock_guard lock(mu_);
    subscribers_.push_back(sub);
  }
  auto unsubscribe = [&] {
    std::lock_guard lock(mu_);
    subscribers_.remove(sub);
  };
  auto registration = cancel.OnCancel([this] { events_cv_.notify_all(); });
  if (on_connected) {
    on_connected();
  }
  while (true) {
    v1::ContainerEventResponse event;
    {
      std::unique_lock lock(mu_);
      // The timeout bounds how long a cancellation only seen by polling takes to notice.
      events_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] {
        return !sub->queue.empty() || sub->failure || cancel.Cancelled();
      });
      if (cancel.Cancelled()) {
        lock.unlock();
        unsubscribe();
        return Ok();
      }
      if (sub->failure) {
        Error e = *sub->failure;
        lock.unlock();
        unsubscribe();
        return Fail(std::move(e));
      }
      if (sub->queue.empty()) {
        continue;
      }
      event = std::move(sub->queue.front());
      sub->queue.pop_front();
    }
    // Outside the lock: the sink may call back into the fake.
    if (!sink(event)) {
      unsubscribe();
      return Ok();
    }
  }
}

v1::PodSandboxStatus FakeRuntimeService::SandboxStatusLocked(const Sandbox& s) const {
  v1::PodSandboxStatus st;
  st.set_id(s.id);
  *st.mutable_metadata() = s.config.metadata();
  st.set_state(s.state);
  st.set_created_at(s.created_at);
  if (!s.ip.empty()) {
    st.mutable_network()->set_ip(s.ip);
  }
  *st.mutable_linux()->mutable_namespaces()->mutable_options() =
      s.config.linux().security_context().namespace_options();
  *st.mutable_labels() = s.config.labels();
  *st.mutable_annotations() = s.config.annotations();
  return st;
}

v1::ContainerStatus FakeRuntimeService::ContainerStatusLocked(const Container& c) const {
  v1::ContainerStatus st;
  st.set_id(c.id);
  *st.mutable_metadata() = c.config.metadata();
  st.set_state(c.state);
  st.set_created_at(c.created_at);
  st.set_started_at(c.started_at);
  st.set_finished_at(c.finished_at);
  st.set_exit_code(c.exit_code);
  *st.mutable_image() = c.config.image();
  st.set_image_ref(c.image_ref);
  st.set_image_id(c.image_ref);
  st.set_reason(c.reason);
  st.set_message(c.message);
  *st.mutable_labels() = c.config.labels();
  *st.mutable_annotations() = c.config.annotations();
  *st.mutable_mounts() = c.config.mounts();
  st.set_log_path(c.log_path);
  return st;
}

void FakeRuntimeService::EmitLocked(const std::string& id, const std::string& sandbox_id,
                                    v1::ContainerEventType type) {
  if (subscribers_.empty()) {
    return;
  }
  v1::ContainerEventResponse ev;
  ev.set_container_id(id);
  ev.set_container_event_type(type);
  ev.set_created_at(NowNanos());
  if (auto sb = sandboxes_.find(sandbox_id); sb != sandboxes_.end()) {
    *ev.mutable_pod_sandbox_status() = SandboxStatusLocked(sb->second);
  }
  for (const auto& [cid, c] : containers_) {
    if (c.sandbox_id == sandbox_id) {
      *ev.add_containers_statuses() = ContainerStatusLocked(c);
    }
  }
  for (auto& sub : subscribers_) {
    sub->queue.push_back(ev);
  }
  events_cv_.notify_all();
}

std::vector<FakeRuntimeService::Sandbox> FakeRuntimeService::Sandboxes() const {
  std::lock_guard lock(mu_);
  std::vector<Sandbox> out;
  for (const auto& [id, s] : sandboxes_) {
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

std::vector<FakeRuntimeService::Container> FakeRuntimeService::Containers() const {
  std::lock_guard lock(mu_);
  std::vector<Container> out;
  for (const auto& [id, c] : containers_) {
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

std::optional<FakeRuntimeService::Container> FakeRuntimeService::FindContainer(
    const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<FakeRuntimeService::Container> FakeRuntimeService::ContainersNamed(
    const std::string& name) const {
  std::vector<Container> out;
  for (auto& c : Containers()) {
    if (c.config.metadata().name() == name) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

Result<v1::VersionResponse> FakeRuntimeService::Version(const v1::VersionRequest& request) {
  CAPSTAN_TRY(recorder_.Record("Version"));
  v1::VersionResponse resp;
  resp.set_version("0.1.0");
  resp.set_runtime_name("fake");
  resp.set_runtime_version("0.1.0");
  resp.set_runtime_api_version("v1");
  return resp;
}

Result<v1::RunPodSandboxResponse> FakeRuntimeService::RunPodSandbox(
    const v1::RunPodSandboxRequest& req) {
  CAPSTAN_TRY(recorder_.Record("RunPodSandbox"));
  std::lock_guard lock(mu_);
  Sandbox s;
  // Ids sort in creation order, which keeps test output stable.
  s.id = fmt::format("sandbox-{:04}", next_id_++);
  s.config = req.config();
  s.created_at = NowNanos();
  bool host_net = req.config().linux().security_context().namespace_options().network() == v1::NODE;
  if (assign_ips_ && !host_net) {
    s.ip = fmt::format("10.88.{}.{}", (next_id_ / 250) % 250, next_id_ % 250 + 2);
  }
  sandboxes_[s.id] = s;
  EmitLocked(s.id, s.id, v1::CONTAINER_CREATED_EVENT);
  EmitLocked(s.id, s.id, v1::CONTAINER_STARTED_EVENT);
  v1::RunPodSandboxResponse resp;
  resp.set_pod_sandbox_id(s.id);
  return resp;
}

bool FakeRuntimeService::StopContainerLocked(Container& c, int64_t timeout) {
  if (c.state == v1::CONTAINER_RUNNING) {
    c.state = v1::CONTAINER_EXITED;
    c.finished_at = NowNanos();
    c.exit_code = stop_exit_code_.value_or(timeout > 0 ? 143 : 137);
    c.reason = c.exit_code == 0 ? "Completed" : "Error";
  } else if (c.state == v1::CONTAINER_CREATED) {
    // A created container that is stopped never ran: it is exited with no code.
    c.state = v1::CONTAINER_EXITED;
    c.finished_at = NowNanos();
  } else {
    return false;
  }
  EmitLocked(c.id, c.sandbox_id, v1::CONTAINER_STOPPED_EVENT);
  return true;
}

Result<v1::StopPodSandboxResponse> FakeRuntimeService::StopPodSandbox(
    const v1::StopPodSandboxRequest& req) {
  CAPSTAN_TRY(recorder_.Record("StopPodSandbox"));
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(req.pod_sandbox_id());
  if (it == sandboxes_.end()) {
    // Stopping is idempotent, also for sandboxes already gone (CRI).
    return v1::StopPodSandboxResponse{};
  }
  for (auto& [id, c] : containers_) {
    if (c.sandbox_id == it->first) {
      StopContainerLocked(c, 0);
    }
  }
  if (it->second.state != v1::SANDBOX_NOTREADY) {
    it->second.state = v1::SANDBOX_NOTREADY;
    EmitLocked(it->first, it->first, v1::CONTAINER_STOPPED_EVENT);
  }
  return v1::StopPodSandboxResponse{};
}

Result<v1::RemovePodSandboxResponse> FakeRuntimeService::RemovePodSandbox(
    const v1::RemovePodSandboxRequest& req) {
  CAPSTAN_TRY(recorder_.Record("RemovePodSandbox"));
  std::lock_guard lock(mu_);
  const std::string& id = req.pod_sandbox_id();
  std::vector<std::string> removed;
  for (const auto& [cid, c] : containers_) {
    if (c.sandbox_id == id) {
      removed.push_back(cid);
    }
  }
  for (const auto& cid : removed) {
    containers_.erase(cid);
    EmitLocked(cid, id, v1::CONTAINER_DELETED_EVENT);
  }
  if (sandboxes_.contains(id)) {
    // The event carries the sandbox's last status, so the pod it belonged to is known.
    EmitLocked(id, id, v1::CONTAINER_DELETED_EVENT);
    sandboxes_.erase(id);
  }
  return v1::RemovePodSandboxResponse{};
}

Result<v1::PodSandboxStatusResponse> FakeRuntimeService::PodSandboxStatus(
    const v1::PodSandboxStatusRequest& req) {
  CAPSTAN_TRY(recorder_.Record("PodSandboxStatus"));
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(req.pod_sandbox_id());
  if (it == sandboxes_.end()) {
    return Fail(Code::kNotFound, "sandbox {} not found", req.pod_sandbox_id());
  }
  v1::PodSandboxStatusResponse resp;
  *resp.mutable_status() = SandboxStatusLocked(it->second);
  return resp;
}

Result<v1::ListPodSandboxResponse> FakeRuntimeService::ListPodSandbox(
    const v1::ListPodSandboxRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ListPodSandbox"));
  std::lock_guard lock(mu_);
  const auto& f = req.filter();
  v1::ListPodSandboxResponse resp;
  for (const auto& [id, s] : sandboxes_) {
    if ((!f.id().empty() && f.id() != id) || (f.has_state() && f.state().state() != s.state) ||
        !LabelsMatch(s.config.labels(), f.label_selector())) {
      continue;
    }
    auto* item = resp.add_items();
    item->set_id(id);
    *item->mutable_metadata() = s.config.metadata();
    item->set_state(s.state);
    item->set_created_at(s.created_at);
    *item->mutable_labels() = s.config.labels();
    *item->mutable_annotations() = s.config.annotations();
  }
  return resp;
}

Result<v1::CreateContainerResponse> FakeRuntimeService::CreateContainer(
    const v1::CreateContainerRequest& req) {
  CAPSTAN_TRY(recorder_.Record("CreateContainer"));
  std::optional<std::string> image_ref = req.config().image().image();
  if (images_) {
    image_ref = images_->Resolve(req.config().image().image());
    if (!image_ref) {
      return Fail(Code::kNotFound, "image {} not present", req.config().image().image());
    }
  }
  std::lock_guard lock(mu_);
  auto sb = sandboxes_.find(req.pod_sandbox_id());
  if (sb == sandboxes_.end()) {
    return Fail(Code::kNotFound, "sandbox {} not found", req.pod_sandbox_id());
  }
  if (sb->second.state != v1::SANDBOX_READY) {
    return Fail(Code::kFailedPrecondition, "sandbox {} is not ready", req.pod_sandbox_id());
  }
  for (const auto& [id, c] : containers_) {
    if (c.sandbox_id == sb->first && c.config.metadata().name() == req.config().metadata().name() &&
        c.config.metadata().attempt() == req.config().metadata().attempt()) {
      return Fail(Code::kAlreadyExists, "container {} attempt {} already exists",
                  c.config.metadata().name(), c.config.metadata().attempt());
    }
  }
  Container c;
  c.id = fmt::format("container-{:04}", next_id_++);
  c.sandbox_id = sb->first;
  c.config = req.config();
  c.log_path = sb->second.config.log_directory() + "/" + req.config().log_path();
  c.image_ref = *image_ref;
  c.created_at = NowNanos();
  containers_[c.id] = c;
  EmitLocked(c.id, c.sandbox_id, v1::CONTAINER_CREATED_EVENT);
  v1::CreateContainerResponse resp;
  resp.set_container_id(c.id);
  return resp;
}

Result<FakeRuntimeService::Container*> FakeRuntimeService::ContainerLocked(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Fail(Code::kNotFound, "container {} not found", id);
  }
  return &it->second;
}

Result<v1::StartContainerResponse> FakeRuntimeService::StartContainer(
    const v1::StartContainerRequest& req) {
  CAPSTAN_TRY(recorder_.Record("StartContainer"));
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(Container * c, ContainerLocked(req.container_id()));
  if (c->state != v1::CONTAINER_CREATED) {
    return Fail(Code::kFailedPrecondition, "container {} is not in created state",
                req.container_id());
  }
  c->state = v1::CONTAINER_RUNNING;
  c->started_at = NowNanos();
  EmitLocked(c->id, c->sandbox_id, v1::CONTAINER_STARTED_EVENT);
  return v1::StartContainerResponse{};
}

Result<v1::StopContainerResponse> FakeRuntimeService::StopContainer(
    const v1::StopContainerRequest& req) {
  CAPSTAN_TRY(recorder_.Record("StopContainer"));
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(Container * c, ContainerLocked(req.container_id()));
  c->last_stop_timeout = req.timeout();
  StopContainerLocked(*c, req.timeout());
  return v1::StopContainerResponse{};
}

Result<v1::RemoveContainerResponse> FakeRuntimeService::RemoveContainer(
    const v1::RemoveContainerRequest& req) {
  CAPSTAN_TRY(recorder_.Record("RemoveContainer"));
  std::lock_guard lock(mu_);
  auto it = containers_.find(req.container_id());
  if (it != containers_.end()) {
    std::string sandbox_id = it->second.sandbox_id;
    containers_.erase(it);
    EmitLocked(req.container_id(), sandbox_id, v1::CONTAINER_DELETED_EVENT);
  }
  return v1::RemoveContainerResponse{};
}

Result<v1::ListContainersResponse> FakeRuntimeService::ListContainers(
    const v1::ListContainersRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ListContainers"));
  std::lock_guard lock(mu_);
  const auto& f = req.filter();
  v1::ListContainersResponse resp;
  for (const auto& [id, c] : containers_) {
    if ((!f.id().empty() && f.id() != id) || (f.has_state() && f.state().state() != c.state) ||
        (!f.pod_sandbox_id().empty() && f.pod_sandbox_id() != c.sandbox_id) ||
        !LabelsMatch(c.config.labels(), f.label_selector())) {
      continue;
    }
    auto* item = resp.add_containers();
    item->set_id(id);
    item->set_pod_sandbox_id(c.sandbox_id);
    *item->mutable_metadata() = c.config.metadata();
    *item->mutable_image() = c.config.image();
    item->set_image_ref(c.image_ref);
    item->set_image_id(c.image_ref);
    item->set_state(c.state);
    item->set_created_at(c.created_at);
    *item->mutable_labels() = c.config.labels();
    *item->mutable_annotations() = c.config.annotations();
  }
  return resp;
}

Result<v1::ContainerStatusResponse> FakeRuntimeService::ContainerStatus(
    const v1::ContainerStatusRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ContainerStatus"));
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(Container * c, ContainerLocked(req.container_id()));
  v1::ContainerStatusResponse resp;
  *resp.mutable_status() = ContainerStatusLocked(*c);
  return resp;
}

Result<v1::ExecSyncResponse> FakeRuntimeService::ExecSync(const v1::ExecSyncRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ExecSync"));
  ExecHandler handler;
  {
    std::lock_guard lock(mu_);
    CAPSTAN_ASSIGN_OR_RETURN(Container * c, ContainerLocked(req.container_id()));
    if (c->state != v1::CONTAINER_RUNNING) {
      return Fail(Code::kFailedPrecondition, "container {} is not running", req.container_id());
    }
    handler = exec_handler_;
  }
  // Outside the lock: a handler may call back into the fake (e.g. ExitContainer).
  if (handler) {
    return handler(req);
  }
  return v1::ExecSyncResponse{};
}

Result<v1::StatusResponse> FakeRuntimeService::Status(const v1::StatusRequest& req) {
  CAPSTAN_TRY(recorder_.Record("Status"));
  v1::StatusResponse resp;
  for (const char* type : {"RuntimeReady", "NetworkReady"}) {
    auto* c = resp.mutable_status()->add_conditions();
    c->set_type(type);
    c->set_status(true);
  }
  return resp;
}

}  // namespace capstan::api::cri::testing

// GetContainerEvents: every sandbox and container change, streamed to the kubelet's PLEG.
// Events carry what containerd's CRI plugin puts in them: the id that changed (a sandbox's
// own events use the sandbox id), the time, the sandbox's status and the statuses of all its
// containers, so a client can update its view of the pod without asking again.
#include <chrono>

#include "common/time.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {
// How soon a stream notices a cancellation it can only poll (a client gone, a shutdown).
constexpr std::chrono::milliseconds kCancelPoll(250);
}  // namespace

v1::ContainerEventResponse Runtime::BuildEvent(const std::string& id, const std::string& sandbox_id,
                                               v1::ContainerEventType type) {
  v1::ContainerEventResponse ev;
  ev.set_container_id(id);
  ev.set_container_event_type(type);
  ev.set_created_at(UnixNanos(WallNow()));
  v1::PodSandboxStatusRequest sandbox_req;
  sandbox_req.set_pod_sandbox_id(sandbox_id);
  // A sandbox already gone leaves the status unset, as containerd does.
  if (auto st = PodSandboxStatus(sandbox_req)) {
    *ev.mutable_pod_sandbox_status() = std::move(*st->mutable_status());
  }
  for (const auto& c : records_.ContainersOf(sandbox_id)) {
    v1::ContainerStatusRequest req;
    req.set_container_id(c->id);
    if (auto st = ContainerStatus(req)) {
      *ev.add_containers_statuses() = std::move(*st->mutable_status());
    }
  }
  return ev;
}

void Runtime::EmitEvent(const std::string& id, const std::string& sandbox_id,
                        v1::ContainerEventType type) {
  if (!events_.HasSubscribers()) {
    return;
  }
  events_.Publish(BuildEvent(id, sandbox_id, type));
}

capstan::Status Runtime::GetContainerEvents(const v1::GetEventsRequest&,
                                            const api::cri::ContainerEventSink& sink,
                                            const CancelToken& cancel,
                                            const std::function<void()>& on_connected) {
  auto sub = events_.Subscribe();
  // Declared after `sub`, so unregistered before it goes away.
  auto registration = cancel.OnCancel([s = sub.get()] { s->Wake(); });
  if (on_connected) {
    on_connected();
  }
  while (!cancel.Cancelled()) {
    CAPSTAN_ASSIGN_OR_RETURN(auto event, sub->Next(kCancelPoll));
    if (event && !sink(*event)) {
      return Ok();
    }
  }
  return Ok();
}

}  // namespace capstan::cri::runtime

#include "kubelet/pleg/evented_pleg.h"

#include <algorithm>

#include "common/log.h"
#include "kubelet/kuberuntime/labels.h"

namespace capstan::kubelet::pleg {
namespace {

namespace v1 = api::cri::v1;
const log::Logger kLog("pleg");

}  // namespace

std::string PodUidOfEvent(const v1::ContainerEventResponse& event) {
  if (event.has_pod_sandbox_status()) {
    const auto& sandbox = event.pod_sandbox_status();
    if (!sandbox.metadata().uid().empty()) {
      return sandbox.metadata().uid();
    }
    if (auto it = sandbox.labels().find(kuberuntime::kPodUidLabel); it != sandbox.labels().end()) {
      return it->second;
    }
  }
  for (const auto& c : event.containers_statuses()) {
    if (c.id() != event.container_id()) {
      continue;
    }
    if (auto it = c.labels().find(kuberuntime::kPodUidLabel); it != c.labels().end()) {
      return it->second;
    }
  }
  return "";
}

EventedPleg::EventedPleg(api::cri::RuntimeService* runtime, GenericPleg::Lister lister,
                         const Clock* clock, Options options)
    : runtime_(runtime),
      generic_(std::move(lister), clock, options.relist_threshold),
      options_(options) {}

EventedPleg::~EventedPleg() { Stop(); }

void EventedPleg::Start() {
  std::call_once(started_, [this] {
    if (!stop_.Cancelled()) {
      thread_ = std::thread([this] { Loop(); });
    }
  });
}

void EventedPleg::Stop() {
  stop_.Cancel();
  {
    std::lock_guard lock(wait_mu_);
    wait_cv_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

Status EventedPleg::Relist() {
  std::lock_guard lock(relist_mu_);
  relist_soon_ = false;
  return generic_.Relist();
}

std::vector<PodLifecycleEvent> EventedPleg::TakeEvents() {
  std::vector<PodLifecycleEvent> out;
  {
    std::lock_guard lock(mu_);
    out = std::exchange(events_, {});
    overflowed_ = false;
  }
  for (auto& ev : generic_.TakeEvents()) {
    out.push_back(std::move(ev));
  }
  return out;
}

bool EventedPleg::Healthy() const {
  {
    std::lock_guard lock(mu_);
    if (overflowed_) {
      return false;
    }
  }
  return generic_.Healthy();
}

std::chrono::milliseconds EventedPleg::RelistPeriod(std::chrono::milliseconds configured) const {
  // Events dropped on overflow are found by the next relist: make it the next tick's.
  if (!streaming_.load() || relist_soon_.load()) {
    return configured;
  }
  return std::max(configured, options_.evented_relist_period);
}

bool EventedPleg::HandleEvent(const v1::ContainerEventResponse& event) {
  if (stop_.Cancelled()) {
    return false;
  }
  std::string uid = PodUidOfEvent(event);
  if (uid.empty()) {
    // A sandbox already gone: its own deletion event named the pod, and a relist catches
    // anything else (as upstream reasons).
    kLog.Debug("container event without a pod", {{"id", event.container_id()}});
    return true;
  }
  const std::string& id = event.container_id();
  std::vector<PodLifecycleEvent> found;
  switch (event.container_event_type()) {
    case v1::CONTAINER_STARTED_EVENT:
      found.push_back({uid, EventType::kContainerStarted, id});
      break;
    case v1::CONTAINER_STOPPED_EVENT: found.push_back({uid, EventType::kContainerDied, id}); break;
    case v1::CONTAINER_DELETED_EVENT:
      // As the generic PLEG reports a container that vanished.
      found.push_back({uid, EventType::kContainerDied, id});
      found.push_back({uid, EventType::kContainerRemoved, id});
      break;
    default: break;  // CREATED: nothing runs yet
  }
  std::lock_guard lock(mu_);
  for (auto& ev : found) {
    if (events_.size() >= options_.max_pending) {
      if (!overflowed_) {
        kLog.Warn("too many pod lifecycle events waiting; dropping", {{"pending", events_.size()}});
      }
      overflowed_ = true;
      relist_soon_ = true;
      break;
    }
    events_.push_back(std::move(ev));
  }
  return true;
}

void EventedPleg::OnConnected() {
  generic_.SetRelistThreshold(options_.evented_relist_threshold);
  // Whatever changed before the subscription: from here on events tell.
  if (auto st = Relist(); !st) {
    kLog.Warn("relist failed", {{"error", st.error().message()}});
  }
  streaming_ = true;
  kLog.Info(
      "container events connected; relisting every few minutes only",
      {{"period_s",
        std::chrono::duration_cast<std::chrono::seconds>(options_.evented_relist_period).count()}});
}

void EventedPleg::Loop() {
  auto delay = options_.retry_initial;
  bool told_unimplemented = false;
  while (!stop_.Cancelled()) {
    bool connected = false;
    auto st = runtime_->GetContainerEvents(
        v1::GetEventsRequest{},
        [this](const v1::ContainerEventResponse& ev) { return HandleEvent(ev); }, stop_,
        [&] {
          connected = true;
          OnConnected();
        });
    streaming_ = false;
    generic_.SetRelistThreshold(options_.relist_threshold);
    if (stop_.Cancelled()) {
      break;
    }
    if (connected) {
      delay = options_.retry_initial;  // it worked for a while: start the back-off over
    }
    std::chrono::milliseconds wait;
    if (!st && st.error().code() == Code::kUnimplemented) {
      if (!told_unimplemented) {
        kLog.Info("the runtime sends no container events; relisting",
                  {{"error", st.error().message()}});
        told_unimplemented = true;
      }
      wait = options_.unimplemented_retry;
    } else {
      kLog.Warn("container events stream ended; relisting until it is back",
                {{"error", st ? std::string("closed") : st.error().message()},
                 {"retry_ms", delay.count()}});
      wait = delay;
      delay = std::min(delay * 2, options_.retry_max);
    }
    // What the broken stream may have missed (upstream relists at once, too).
    if (auto relisted = Relist(); !relisted) {
      kLog.Debug("relist failed", {{"error", relisted.error().message()}});
    }
    std::unique_lock lock(wait_mu_);
    wait_cv_.wait_for(lock, wait, [this] { return stop_.Cancelled(); });
  }
}

}  // namespace capstan::kubelet::pleg

#include "kubelet/prober/worker.h"

namespace capstan::kubelet::prober {

std::string RuntimeIdOf(const std::string& container_id) {
  auto sep = container_id.find("://");
  return sep == std::string::npos ? container_id : container_id.substr(sep + 3);
}

Worker::Worker(ProbeType type, api::k8s::Pod pod, api::k8s::Container container,
               ResultsManager* results, Prober* prober, const Clock* clock)
    : type_(type),
      pod_(std::move(pod)),
      container_(std::move(container)),
      results_(results),
      prober_(prober),
      clock_(clock) {
  const auto& p = type == ProbeType::kLiveness    ? container_.liveness_probe
                  : type == ProbeType::kReadiness ? container_.readiness_probe
                                                  : container_.startup_probe;
  spec_ = p.value_or(api::k8s::Probe{});
  // Not ready until proven; alive until proven otherwise; startup unknown.
  initial_ = type == ProbeType::kReadiness  ? ProbeResult::kFailure
             : type == ProbeType::kLiveness ? ProbeResult::kSuccess
                                            : ProbeResult::kUnknown;
}

void Worker::Stop() {
  if (!container_id_.empty()) {
    results_->Remove(container_id_);
  }
}

bool Worker::DoProbe(const std::optional<api::k8s::PodStatus>& status) {
  if (!status) {
    return true;  // not created yet, or already gone
  }
  if (status->phase == "Failed" || status->phase == "Succeeded") {
    return false;
  }
  const api::k8s::ContainerStatus* c = nullptr;
  for (const auto& cs : status->container_statuses) {
    if (cs.name == container_.name) {
      c = &cs;
    }
  }
  if (!c || c->container_id.empty()) {
    container_id_.clear();
    return true;  // wait for the container
  }
  std::string id = RuntimeIdOf(c->container_id);
  if (id != container_id_) {
    if (!container_id_.empty()) {
      results_->Remove(container_id_);
    }
    container_id_ = id;
    results_->Set(container_id_, initial_, pod_.metadata.uid);
    on_hold_ = false;  // a new container: probe it afresh
    last_result_.reset();
    result_run_ = 0;
  }
  if (on_hold_) {
    return true;
  }
  if (!c->state.running) {
    results_->Set(container_id_, ProbeResult::kFailure, pod_.metadata.uid);
    // Stop when the container will not come back.
    return !c->state.terminated || pod_.spec.restart_policy != "Never";
  }
  if (pod_.metadata.deletion_timestamp &&
      (type_ == ProbeType::kLiveness || type_ == ProbeType::kStartup)) {
    results_->Set(container_id_, ProbeResult::kSuccess, pod_.metadata.uid);
    return false;
  }
  if (c->state.running->started_at && clock_->Now() - *c->state.running->started_at <
                                          std::chrono::seconds(spec_.initial_delay_seconds)) {
    return true;
  }
  bool started = c->started.value_or(false);
  if (started && type_ == ProbeType::kStartup) {
    return true;  // startup is done; keep the worker for the next container
  }
  if (!started && type_ != ProbeType::kStartup) {
    return true;  // other probes wait for startup
  }
  std::string pod_ip = pod_.spec.host_network ? status->host_ip : status->pod_ip;
  auto result = prober_->Probe(type_, pod_, container_, container_id_, pod_ip);
  if (!result || *result == ProbeResult::kUnknown) {
    return true;  // could not probe: the result does not count
  }
  if (last_result_ == *result) {
    ++result_run_;
  } else {
    last_result_ = *result;
    result_run_ = 1;
  }
  if ((*result == ProbeResult::kFailure && result_run_ < spec_.failure_threshold) ||
      (*result == ProbeResult::kSuccess && result_run_ < spec_.success_threshold)) {
    return true;  // below threshold: the settled result stays
  }
  results_->Set(container_id_, *result, pod_.metadata.uid);
  if ((type_ == ProbeType::kLiveness || type_ == ProbeType::kStartup) &&
      *result == ProbeResult::kFailure) {
    // The container will be restarted; probing it further only races with the kill.
    on_hold_ = true;
    result_run_ = 0;
  }
  return true;
}

}  // namespace capstan::kubelet::prober

#include "kubelet/prober/manager.h"

namespace capstan::kubelet::prober {

ProberManager::ProberManager(Prober* prober, util::Executor* executor, const Clock* clock,
                             StatusProvider status)
    : prober_(prober), executor_(executor), clock_(clock), status_(std::move(status)) {}

void ProberManager::AddPod(const api::k8s::Pod& pod) {
  std::lock_guard lock(mu_);
  for (const auto& c : pod.spec.containers) {
    auto add = [&](ProbeType type, ResultsManager* results) {
      Key key{pod.metadata.uid, c.name, type};
      if (workers_.contains(key)) {
        return;
      }
      Slot slot;
      slot.worker = std::make_shared<Worker>(type, pod, c, results, prober_, clock_);
      slot.next_due = clock_->Monotonic();
      workers_.emplace(key, std::move(slot));
    };
    if (c.liveness_probe) add(ProbeType::kLiveness, &liveness_);
    if (c.readiness_probe) add(ProbeType::kReadiness, &readiness_);
    if (c.startup_probe) add(ProbeType::kStartup, &startup_);
  }
}

void ProberManager::StopLivenessAndStartup(const std::string& uid) {
  std::lock_guard lock(mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    const auto& [puid, name, type] = it->first;
    if (puid == uid && type != ProbeType::kReadiness) {
      it->second.worker->Stop();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void ProberManager::RemovePod(const std::string& uid) {
  std::lock_guard lock(mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (std::get<0>(it->first) == uid) {
      it->second.worker->Stop();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void ProberManager::Finish(const Key& key, const std::shared_ptr<Worker>& w, bool keep_going) {
  std::lock_guard lock(mu_);
  auto it = workers_.find(key);
  if (it == workers_.end() || it->second.worker != w) {
    return;  // removed meanwhile
  }
  it->second.in_flight = false;
  if (!keep_going) {
    w->Stop();
    workers_.erase(it);
  }
}

void ProberManager::RunDueProbes() {
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  for (auto& [key, slot] : workers_) {
    if (slot.in_flight || slot.next_due > now) {
      continue;
    }
    slot.in_flight = true;
    slot.next_due = now + slot.worker->period();
    executor_->Post([this, key, w = slot.worker] {
      bool keep_going = w->DoProbe(status_(std::get<0>(key)));
      Finish(key, w, keep_going);
    });
  }
}

void ProberManager::UpdatePodStatus(const api::k8s::Pod& pod, api::k8s::PodStatus& status) const {
  std::lock_guard lock(mu_);
  auto has_worker = [&](const std::string& name, ProbeType t) {
    return workers_.contains(Key{pod.metadata.uid, name, t});
  };
  for (auto& c : status.container_statuses) {
    std::string id = RuntimeIdOf(c.container_id);
    bool started = false;
    if (c.state.running) {
      if (auto r = startup_.Get(id)) {
        started = *r == ProbeResult::kSuccess;
      } else {
        started = !has_worker(c.name, ProbeType::kStartup);
      }
    }
    c.started = started;
    if (!started) {
      c.ready = false;
      continue;
    }
    bool ready = false;
    if (c.state.running) {
      if (auto r = readiness_.Get(id); r && *r == ProbeResult::kSuccess) {
        ready = true;
      } else {
        ready = !has_worker(c.name, ProbeType::kReadiness);  // no probe: ready
      }
    }
    c.ready = ready;
  }
}

size_t ProberManager::WorkerCount() const {
  std::lock_guard lock(mu_);
  return workers_.size();
}

}  // namespace capstan::kubelet::prober

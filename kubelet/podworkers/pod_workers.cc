#include "kubelet/podworkers/pod_workers.h"

#include "common/log.h"

namespace capstan::kubelet::podworkers {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

PodWorkers::PodWorkers(PodSyncer* syncer, util::Executor* executor, const Clock* clock,
                       Options options)
    : syncer_(syncer), executor_(executor), clock_(clock), options_(options) {}

bool IsStaticPod(const api::k8s::Pod& pod) {
  auto it = pod.metadata.annotations.find("kubernetes.io/config.source");
  return it != pod.metadata.annotations.end() && (it->second == "file" || it->second == "http");
}

namespace {
std::string FullName(const api::k8s::Pod& pod) {
  return pod.metadata.namespace_ + "/" + pod.metadata.name;
}
}  // namespace

bool PodWorkers::ClaimStaticNameLocked(const std::string& uid, const api::k8s::Pod& pod) {
  if (!IsStaticPod(pod)) {
    return true;
  }
  auto [it, inserted] = static_names_.try_emplace(FullName(pod), uid);
  if (inserted || it->second == uid) {
    return true;
  }
  auto owner = pods_.find(it->second);
  if (owner == pods_.end() || owner->second.phase == Phase::kTerminated) {
    it->second = uid;
    return true;
  }
  return false;
}

void PodWorkers::ReleaseStaticNameLocked(const std::string& uid, const api::k8s::Pod& pod) {
  auto it = static_names_.find(FullName(pod));
  if (it == static_names_.end() || it->second != uid) {
    return;
  }
  static_names_.erase(it);
  // Wake the pods that were waiting for the name.
  for (auto& [other, st] : pods_) {
    if (other != uid && st.phase == Phase::kSyncing && st.pending && !st.working &&
        FullName(st.pod) == FullName(pod)) {
      ScheduleLocked(other, st);
    }
  }
}

void PodWorkers::ScheduleLocked(const std::string& uid, PodState& st) {
  if (st.working || !st.pending) {
    return;
  }
  st.working = true;
  executor_->Post([this, uid] { Work(uid); });
}

void PodWorkers::UpdatePod(UpdatePodOptions options) {
  std::string uid = options.running_pod && options.pod.metadata.uid.empty()
                        ? options.running_pod->uid
                        : options.pod.metadata.uid;
  std::lock_guard lock(mu_);
  auto [it, created] = pods_.try_emplace(uid);
  PodState& st = it->second;
  if (created) {
    st.pod = options.pod;
    st.running_pod = options.running_pod;
  }
  if (options.type == UpdateType::kKill) {
    if (st.phase == Phase::kTerminated) {
      return;
    }
    if (st.phase == Phase::kSyncing) {
      st.phase = Phase::kTerminating;
      kLog.Info("pod termination requested", {{"pod", st.pod.metadata.name}, {"uid", uid}});
    }
    st.restart.reset();
    if (options.grace_period_override) {
      // A shorter grace period may replace a longer one, never the other way round.
      st.grace = st.grace ? std::min(*st.grace, *options.grace_period_override)
                          : options.grace_period_override;
    }
    if (!options.pod.metadata.uid.empty()) {
      st.pod = options.pod;
    }
    st.pending = std::move(options);
  } else if (st.phase != Phase::kSyncing) {
    if (options.type == UpdateType::kCreate) {
      st.restart = options.pod;
    }
    if (st.phase == Phase::kTerminated && st.restart) {
      // Already done terminating: start over right away.
      api::k8s::Pod pod = *st.restart;
      pods_.erase(it);
      auto& fresh = pods_[uid];
      fresh.pod = pod;
      fresh.pending = UpdatePodOptions{UpdateType::kCreate, pod, std::nullopt, std::nullopt};
      ScheduleLocked(uid, fresh);
    }
    return;
  } else {
    st.pod = options.pod;
    // A pending create stays a create; otherwise the newest update wins.
    if (st.pending && st.pending->type == UpdateType::kCreate) {
      options.type = UpdateType::kCreate;
    }
    st.pending = std::move(options);
  }
  ScheduleLocked(uid, st);
}

void PodWorkers::Work(const std::string& uid) {
  while (true) {
    UpdatePodOptions work;
    Phase phase;
    std::optional<int64_t> grace;
    {
      std::lock_guard lock(mu_);
      auto it = pods_.find(uid);
      if (it == pods_.end()) {
        return;
      }
      PodState& st = it->second;
      if (!st.pending || st.phase == Phase::kTerminated) {
        st.pending.reset();
        st.working = false;
        return;
      }
      if (st.phase == Phase::kSyncing && !ClaimStaticNameLocked(uid, st.pod)) {
        // Another pod still holds the name: wait, pending, until it terminates.
        st.working = false;
        return;
      }
      work = std::move(*st.pending);
      st.pending.reset();
      st.next_sync.reset();
      phase = st.phase;
      grace = st.grace;
      if (phase == Phase::kTerminating) {
        work.pod = st.pod;
        work.running_pod = st.running_pod;
      }
    }

    bool failed = false;
    bool terminal = false;
    if (phase == Phase::kSyncing) {
      auto r = syncer_->SyncPod(work.type, work.pod);
      if (!r) {
        failed = true;
        kLog.Warn("pod sync failed",
                  {{"pod", work.pod.metadata.name}, {"error", r.error().message()}});
      } else {
        terminal = *r;
      }
    } else {
      Status st = work.pod.metadata.uid.empty() && work.running_pod
                      ? syncer_->SyncTerminatingRuntimePod(*work.running_pod)
                      : syncer_->SyncTerminatingPod(work.pod, grace);
      if (st && !work.pod.metadata.uid.empty()) {
        st = syncer_->SyncTerminatedPod(work.pod);
      }
      if (!st) {
        failed = true;
        kLog.Warn("pod termination failed",
                  {{"pod", work.pod.metadata.name}, {"error", st.error().message()}});
      }
    }

    std::lock_guard lock(mu_);
    auto it = pods_.find(uid);
    if (it == pods_.end()) {
      return;
    }
    PodState& st = it->second;
    auto now = clock_->Monotonic();
    if (phase == Phase::kTerminating && !failed) {
      st.phase = Phase::kTerminated;
      st.pending.reset();
      kLog.Info("pod terminated", {{"pod", st.pod.metadata.name}, {"uid", uid}});
      ReleaseStaticNameLocked(uid, st.pod);
      if (st.restart) {
        api::k8s::Pod pod = *st.restart;
        st.working = false;
        pods_.erase(it);
        auto& fresh = pods_[uid];
        fresh.pod = pod;
        fresh.pending = UpdatePodOptions{UpdateType::kCreate, pod, std::nullopt, std::nullopt};
        ScheduleLocked(uid, fresh);
        return;
      }
    } else if (terminal && st.phase == Phase::kSyncing) {
      // A finished pod (Succeeded/Failed) terminates: its sandbox is released.
      st.phase = Phase::kTerminating;
      if (!st.pending) {
        st.pending = UpdatePodOptions{UpdateType::kKill, st.pod, std::nullopt, std::nullopt};
      }
    } else if (!st.pending) {
      st.next_sync = now + (failed ? options_.backoff_period : options_.resync_interval);
    }
    if (!st.pending) {
      st.working = false;
      return;
    }
  }
}

void PodWorkers::Tick() {
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  for (auto& [uid, st] : pods_) {
    if (st.working || st.pending || !st.next_sync || *st.next_sync > now ||
        st.phase == Phase::kTerminated) {
      continue;
    }
    st.next_sync.reset();
    st.pending =
        UpdatePodOptions{st.phase == Phase::kSyncing ? UpdateType::kSync : UpdateType::kKill,
                         st.pod, st.running_pod, std::nullopt};
    ScheduleLocked(uid, st);
  }
}

bool PodWorkers::IsPodTerminationRequested(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  return it != pods_.end() && it->second.phase != Phase::kSyncing;
}

bool PodWorkers::IsPodTerminated(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  return it != pods_.end() && it->second.phase == Phase::kTerminated;
}

bool PodWorkers::CouldHaveRunningContainers(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(uid);
  // Unknown pods may have been started by a previous kubelet.
  return it == pods_.end() || it->second.phase != Phase::kTerminated;
}

bool PodWorkers::IsKnown(const std::string& uid) const {
  std::lock_guard lock(mu_);
  return pods_.contains(uid);
}

std::vector<std::string> PodWorkers::KnownPods() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [uid, st] : pods_) {
    out.push_back(uid);
  }
  return out;
}

void PodWorkers::ForgetTerminated(const std::set<std::string>& desired) {
  std::lock_guard lock(mu_);
  std::erase_if(pods_, [&](const auto& kv) {
    return kv.second.phase == Phase::kTerminated && !kv.second.working &&
           !desired.contains(kv.first);
  });
}

bool PodWorkers::Idle() const {
  std::lock_guard lock(mu_);
  for (const auto& [uid, st] : pods_) {
    if (st.working || st.pending) {
      return false;
    }
  }
  return true;
}

}  // namespace capstan::kubelet::podworkers

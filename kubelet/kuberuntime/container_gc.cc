#include "kubelet/kuberuntime/container_gc.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "common/file.h"
#include "common/log.h"
#include "kubelet/kuberuntime/labels.h"
#include "kubelet/logs/container_log_manager.h"

namespace capstan::kubelet::kuberuntime {
namespace {

namespace v1 = api::cri::v1;
const log::Logger kLog("container-gc");

// Upstream's minimumGracePeriodInSeconds for kills without a pod spec.
constexpr int64_t kMinimumGraceSeconds = 2;
constexpr int64_t kDefaultGraceSeconds = 30;

struct GcInfo {
  std::string id;
  std::string name;
  int64_t created_at = 0;
  bool unknown = false;
  int64_t grace_seconds = kDefaultGraceSeconds;
};

// Newest first: removals take from the back.
void SortNewestFirst(std::vector<GcInfo>& v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const GcInfo& a, const GcInfo& b) { return a.created_at > b.created_at; });
}

using EvictUnits = std::map<std::pair<std::string, std::string>, std::vector<GcInfo>>;

size_t CountContainers(const EvictUnits& units) {
  size_t n = 0;
  for (const auto& [key, unit] : units) {
    n += unit.size();
  }
  return n;
}

}  // namespace

std::string PodUidFromLogDirectory(const std::string& name) {
  auto pos = name.rfind('_');
  return pos == std::string::npos ? name : name.substr(pos + 1);
}

ContainerGC::ContainerGC(api::cri::RuntimeService* runtime, const Clock* clock,
                         const PodStateProvider* pods, std::string pod_logs_dir,
                         logs::ContainerLogManager* logs, ContainerGCPolicy policy)
    : runtime_(runtime),
      clock_(clock),
      pods_(pods),
      pod_logs_dir_(std::move(pod_logs_dir)),
      logs_(logs),
      policy_(policy) {}

Status ContainerGC::GarbageCollect() {
  bool ready = pods_->AllSourcesReady();
  std::vector<std::string> errors;
  if (auto st = EvictContainers(ready); !st) {
    errors.push_back(st.error().message());
  }
  if (auto st = EvictSandboxes(); !st) {
    errors.push_back(st.error().message());
  }
  if (ready) {
    if (auto st = EvictPodLogDirectories(); !st) {
      errors.push_back(st.error().message());
    }
  }
  if (!errors.empty()) {
    return Fail(Code::kUnavailable, "container garbage collection: {}", fmt::join(errors, "; "));
  }
  return Ok();
}

void ContainerGC::RemoveContainer(const std::string& id, const std::string& name, bool unknown,
                                  int64_t grace_seconds) {
  if (unknown) {
    // An unknown container may still run: stop it before removing it.
    v1::StopContainerRequest stop;
    stop.set_container_id(id);
    stop.set_timeout(grace_seconds);
    if (auto r = runtime_->StopContainer(stop); !r && r.error().code() != Code::kNotFound) {
      kLog.Warn("stopping a container in unknown state",
                {{"id", id}, {"name", name}, {"error", r.error().message()}});
      return;
    }
  }
  if (logs_) {
    if (auto st = logs_->Clean(id); !st) {
      kLog.Warn("removing container logs", {{"id", id}, {"error", st.error().message()}});
      return;
    }
  }
  v1::RemoveContainerRequest rm;
  rm.set_container_id(id);
  if (auto r = runtime_->RemoveContainer(rm); !r && r.error().code() != Code::kNotFound) {
    kLog.Warn("removing a dead container",
              {{"id", id}, {"name", name}, {"error", r.error().message()}});
    return;
  }
  kLog.Info("removed a dead container", {{"id", id}, {"name", name}});
}

Status ContainerGC::EvictContainers(bool all_sources_ready) {
  CAPSTAN_ASSIGN_OR_RETURN(auto list, runtime_->ListContainers(v1::ListContainersRequest{}));
  int64_t newest_gc_time = UnixNanos(clock_->Now() - policy_.min_age);
  EvictUnits units;
  for (const auto& c : list.containers()) {
    if (c.state() == v1::CONTAINER_RUNNING || c.created_at() > newest_gc_time) {
      continue;
    }
    std::string uid = LabelOr(c.labels(), kPodUidLabel);
    if (uid.empty()) {
      continue;  // not the kubelet's
    }
    int64_t grace =
        std::max(kMinimumGraceSeconds,
                 TerminationGracePeriodOf(c.annotations()).value_or(kDefaultGraceSeconds));
    units[{uid, c.metadata().name()}].push_back(GcInfo{c.id(), c.metadata().name(), c.created_at(),
                                                       c.state() == v1::CONTAINER_UNKNOWN, grace});
  }
  // Removes the oldest n of a unit (sorted newest first) and drops them from it, counted as
  // gone even when a removal failed so that one stuck container does not take its siblings.
  auto remove_oldest = [this](std::vector<GcInfo>& unit, size_t n) {
    n = std::min(n, unit.size());
    for (size_t i = 0; i < n; ++i) {
      const GcInfo& c = unit[unit.size() - 1 - i];
      RemoveContainer(c.id, c.name, c.unknown, c.grace_seconds);
    }
    unit.resize(unit.size() - n);
  };
  for (auto& [key, unit] : units) {
    SortNewestFirst(unit);
  }
  if (all_sources_ready) {
    for (auto it = units.begin(); it != units.end();) {
      if (pods_->ShouldPodContentBeRemoved(it->first.first)) {
        remove_oldest(it->second, it->second.size());
        it = units.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto enforce_per_unit = [&](size_t keep) {
    for (auto& [key, unit] : units) {
      if (unit.size() > keep) {
        remove_oldest(unit, unit.size() - keep);
      }
    }
  };
  if (policy_.max_per_pod_container >= 0) {
    enforce_per_unit(static_cast<size_t>(policy_.max_per_pod_container));
  }
  if (policy_.max_containers >= 0 && !units.empty() &&
      CountContainers(units) > static_cast<size_t>(policy_.max_containers)) {
    // An equal share per unit (at least one), then the oldest node-wide.
    size_t share = std::max<size_t>(1, static_cast<size_t>(policy_.max_containers) / units.size());
    enforce_per_unit(share);
    size_t total = CountContainers(units);
    if (total > static_cast<size_t>(policy_.max_containers)) {
      std::vector<GcInfo> flat;
      for (auto& [key, unit] : units) {
        flat.insert(flat.end(), unit.begin(), unit.end());
      }
      SortNewestFirst(flat);
      remove_oldest(flat, total - static_cast<size_t>(policy_.max_containers));
    }
  }
  return Ok();
}

Status ContainerGC::EvictSandboxes() {
  // Listed after the containers went, so sandboxes just emptied go in this pass.
  CAPSTAN_ASSIGN_OR_RETURN(auto containers, runtime_->ListContainers(v1::ListContainersRequest{}));
  CAPSTAN_ASSIGN_OR_RETURN(auto sandboxes, runtime_->ListPodSandbox(v1::ListPodSandboxRequest{}));
  std::set<std::string> with_containers;
  for (const auto& c : containers.containers()) {
    with_containers.insert(c.pod_sandbox_id());
  }
  struct SandboxInfo {
    std::string id;
    int64_t created_at;
    bool active;
  };
  std::map<std::string, std::vector<SandboxInfo>> by_pod;
  for (const auto& s : sandboxes.items()) {
    const std::string& uid = s.metadata().uid();
    if (uid.empty()) {
      continue;
    }
    bool active = s.state() == v1::SANDBOX_READY || with_containers.contains(s.id());
    by_pod[uid].push_back(SandboxInfo{s.id(), s.created_at(), active});
  }
  bool ready = pods_->AllSourcesReady();
  for (auto& [uid, list] : by_pod) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
    // A pod that still exists keeps its newest sandbox, dead or not (its next sync may
    // reuse what it tells); a removed pod keeps none.
    size_t keep = ready && pods_->ShouldPodContentBeRemoved(uid) ? 0 : 1;
    for (size_t i = list.size(); i-- > keep;) {
      if (list[i].active) {
        continue;
      }
      const std::string& id = list[i].id;
      v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(id);
      // Normally stopped long ago; stopping again is cheap and covers the rare case that
      // left its network set up.
      if (auto r = runtime_->StopPodSandbox(stop); !r && r.error().code() != Code::kNotFound) {
        kLog.Warn("stopping a dead sandbox", {{"id", id}, {"error", r.error().message()}});
        continue;
      }
      v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(id);
      if (auto r = runtime_->RemovePodSandbox(rm); !r && r.error().code() != Code::kNotFound) {
        kLog.Warn("removing a dead sandbox", {{"id", id}, {"error", r.error().message()}});
        continue;
      }
      kLog.Info("removed a dead sandbox", {{"id", id}, {"uid", uid}});
    }
  }
  return Ok();
}

Status ContainerGC::EvictPodLogDirectories() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(pod_logs_dir_, ec);
  if (ec == std::errc::no_such_file_or_directory) {
    return Ok();
  }
  if (ec) {
    return Fail(Code::kInternal, "reading pod logs directory {}: {}", pod_logs_dir_, ec.message());
  }
  std::vector<fs::path> candidates;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string uid = PodUidFromLogDirectory(it->path().filename().string());
    if (pods_->ShouldPodContentBeRemoved(uid)) {
      candidates.push_back(it->path());
    }
  }
  if (candidates.empty()) {
    return Ok();
  }
  // A pod nobody wants that still runs (an orphan being stopped) keeps writing its logs:
  // they go once it is down.
  std::set<std::string> alive;
  v1::ListContainersRequest running;
  running.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  CAPSTAN_ASSIGN_OR_RETURN(auto containers, runtime_->ListContainers(running));
  for (const auto& c : containers.containers()) {
    alive.insert(LabelOr(c.labels(), kPodUidLabel));
  }
  v1::ListPodSandboxRequest ready;
  ready.mutable_filter()->mutable_state()->set_state(v1::SANDBOX_READY);
  CAPSTAN_ASSIGN_OR_RETURN(auto sandboxes, runtime_->ListPodSandbox(ready));
  for (const auto& s : sandboxes.items()) {
    alive.insert(s.metadata().uid());
  }
  for (const auto& dir : candidates) {
    std::string uid = PodUidFromLogDirectory(dir.filename().string());
    if (alive.contains(uid)) {
      continue;
    }
    if (auto st = RemoveAll(dir); !st) {
      kLog.Warn("removing pod logs", {{"path", dir.string()}, {"error", st.error().message()}});
      continue;
    }
    kLog.Info("removed pod logs", {{"path", dir.string()}, {"uid", uid}});
  }
  return Ok();
}

}  // namespace capstan::kubelet::kuberuntime

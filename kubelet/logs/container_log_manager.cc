#include "kubelet/logs/container_log_manager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "api/k8s/quantity.h"
#include "common/log.h"
#include "kubelet/logs/gzip.h"

namespace capstan::kubelet::logs {
namespace {

namespace fs = std::filesystem;
namespace v1 = api::cri::v1;

const log::Logger kLog("logs");

constexpr std::string_view kGzSuffix = ".gz";
constexpr std::string_view kTmpSuffix = ".tmp";

// Removes a file; a missing one is success (deletes are idempotent).
Status RemoveFile(const fs::path& p) {
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
    return FailErrno("removing {}", p.string());
  }
  return Ok();
}

Status SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return FailErrno("opening {}", dir.string());
  }
  int r = ::fsync(fd);
  ::close(fd);
  return r == 0 ? Ok() : FailErrno("syncing {}", dir.string());
}

bool Exists(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

Result<ContainerLogPolicy> LogPolicyFromConfig(const config::KubeletConfiguration& c) {
  auto q = api::k8s::Quantity::Parse(c.container_log_max_size);
  if (!q || q->Value() <= 0) {
    return Fail(Code::kInvalidArgument, "containerLogMaxSize: invalid quantity {:?}",
                c.container_log_max_size);
  }
  if (c.container_log_max_files < 2) {
    return Fail(Code::kInvalidArgument, "containerLogMaxFiles: must be at least 2, got {}",
                c.container_log_max_files);
  }
  return ContainerLogPolicy{q->Value(), c.container_log_max_files};
}

std::string RotationStamp(WallTime t) {
  auto since_epoch = t.time_since_epoch();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

Result<std::vector<fs::path>> CleanupUnusedLogs(std::vector<fs::path> logs) {
  std::set<std::string> names;
  for (const auto& l : logs) {
    names.insert(l.string());
  }
  std::vector<fs::path> in_use;
  for (auto& l : logs) {
    const std::string s = l.string();
    // A ".tmp" is a compression that never finished; a plain file whose ".gz" exists was
    // compressed but not yet removed.
    bool unused = s.ends_with(kTmpSuffix) ||
                  (!s.ends_with(kGzSuffix) && names.contains(s + std::string(kGzSuffix)));
    if (unused) {
      CAPSTAN_TRY_WRAP(RemoveFile(l), "removing an unused log");
    } else {
      in_use.push_back(std::move(l));
    }
  }
  return in_use;
}

ContainerLogManager::ContainerLogManager(api::cri::RuntimeService* runtime, const Clock* clock,
                                         ContainerLogPolicy policy)
    : runtime_(runtime), clock_(clock), policy_(policy) {}

Status ContainerLogManager::RotateLogs() {
  std::lock_guard lock(mu_);
  CAPSTAN_ASSIGN_OR_RETURN(auto list, runtime_->ListContainers(v1::ListContainersRequest{}));
  std::set<std::string> present;
  for (const auto& c : list.containers()) {
    present.insert(c.id());
    // Containers that do not run write nothing more: an empty fresh log would only hide
    // the last lines from readers.
    if (c.state() != v1::CONTAINER_RUNNING) {
      if (auto it = tracked_.find(c.id()); it != tracked_.end()) {
        it->second.fast = false;  // its runtime would refuse to reopen: leave it be
      }
      continue;
    }
    auto path = LogPathLocked(c.id());
    if (!path) {
      kLog.Warn("container log path", {{"id", c.id()}, {"error", path.error().message()}});
      continue;
    }
    if (!path->empty()) {
      ProcessContainerLocked(c.id(), *path);
    }
  }
  // Containers removed behind our back (a pod's removal, init container pruning): their
  // rotated files would otherwise stay until the pod's log directory goes.
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    if (!it->second.log_path.empty()) {
      for (const auto& f : RotatedLogs(it->second.log_path)) {
        if (auto st = RemoveFile(f); !st) {
          kLog.Warn("removing a rotated log of a removed container",
                    {{"id", it->first}, {"error", st.error().message()}});
        }
      }
    }
    it = tracked_.erase(it);
  }
  return Ok();
}

Result<std::string> ContainerLogManager::LogPathLocked(const std::string& id) {
  if (auto it = tracked_.find(id); it != tracked_.end()) {
    return it->second.log_path;
  }
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  CAPSTAN_ASSIGN_OR_RETURN(auto resp, runtime_->ContainerStatus(req));
  std::string path = resp.status().log_path();
  // First sight (a new container, or a restarted kubelet): older rotations may wait for
  // compression.
  Tracked& t = tracked_[id];
  t.log_path = path;
  t.needs_compression = true;
  if (!path.empty()) {
    // A round interrupted by a kubelet restart may have left a half-written compression.
    if (auto st = CleanupUnusedLogs(RotatedLogs(path)); !st) {
      kLog.Warn("cleaning up unused logs", {{"id", id}, {"error", st.error().message()}});
    }
  }
  return path;
}

void ContainerLogManager::ProcessContainerLocked(const std::string& id,
                                                 const std::string& log_path) {
  struct stat st;
  if (::stat(log_path.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT) {
      kLog.Error("stat container log",
                 {{"id", id}, {"path", log_path}, {"error", ErrnoError(err, "stat").message()}});
      return;
    }
    // Gone (removed by hand, or a rotation whose reopen was lost): have the runtime write a
    // new one, as upstream does.
    v1::ReopenContainerLogRequest req;
    req.set_container_id(id);
    if (auto r = runtime_->ReopenContainerLog(req); !r) {
      kLog.Error("container log is missing and reopening it failed",
                 {{"id", id}, {"path", log_path}, {"error", r.error().message()}});
      return;
    }
    if (::stat(log_path.c_str(), &st) != 0) {
      int err = errno;
      kLog.Error("stat container log after reopening it",
                 {{"id", id}, {"path", log_path}, {"error", ErrnoError(err, "stat").message()}});
      return;
    }
  }
  // A log that grew by a tenth of the limit since the last round (about a second) could
  // pass the limit between rounds: CheckFastLoggers looks at it ten times as often.
  Tracked& t = tracked_[id];
  int64_t grown = st.st_size >= t.last_size ? st.st_size - t.last_size : st.st_size;
  t.fast = grown * 10 >= policy_.max_size_bytes;
  t.last_size = st.st_size;
  RotateIfFullLocked(id, log_path, st.st_size);
}

void ContainerLogManager::RotateIfFullLocked(const std::string& id, const std::string& log_path,
                                             int64_t size) {
  if (size < policy_.max_size_bytes) {
    return;
  }
  if (auto r = RotateLocked(id, log_path); r) {
    tracked_[id].last_size = 0;
    tracked_[id].needs_compression = true;
  } else {
    kLog.Error("rotating container log", {{"id", id},
                                          {"path", log_path},
                                          {"size", size},
                                          {"maxSize", policy_.max_size_bytes},
                                          {"error", r.error().message()}});
  }
}

Status ContainerLogManager::RotateLocked(const std::string& id, const std::string& log_path) {
  std::string rotated = log_path + "." + RotationStamp(clock_->Now());
  if (Exists(rotated) || Exists(rotated + std::string(kGzSuffix))) {
    // Rotated once this second already: a second rename would collide with (and, once
    // compressed, overwrite) the first. The next round rotates.
    return Ok();
  }
  // The .tmp a compression is writing right now is not a leftover.
  auto logs = RotatedLogs(log_path);
  std::erase_if(logs, [&](const fs::path& l) {
    std::string s = l.string();
    return s.ends_with(kTmpSuffix) &&
           compressing_.contains(s.substr(0, s.size() - kTmpSuffix.size()));
  });
  CAPSTAN_ASSIGN_OR_RETURN(logs, CleanupUnusedLogs(std::move(logs)));
  // Besides the live file and the one rotated now, max_files - 2 rotated files stay; the
  // oldest go first so readers of the newer ones are not disturbed. A compression of a
  // removed file notices and drops its output.
  size_t keep = static_cast<size_t>(std::max(0, policy_.max_files - 2));
  size_t excess = logs.size() > keep ? logs.size() - keep : 0;
  for (size_t i = 0; i < excess; ++i) {
    CAPSTAN_TRY_WRAP(RemoveFile(logs[i]), "removing an old log");
  }
  return RotateLatestLocked(id, log_path, rotated);
}

Status ContainerLogManager::RotateLatestLocked(const std::string& id, const std::string& log_path,
                                               const std::string& rotated) {
  if (::rename(log_path.c_str(), rotated.c_str()) != 0) {
    return FailErrno("renaming {} to {}", log_path, rotated);
  }
  v1::ReopenContainerLogRequest req;
  req.set_container_id(id);
  if (auto r = runtime_->ReopenContainerLog(req); !r) {
    // The runtime still writes to the renamed file: put it back so the next round tries
    // again. Should that fail too, the runtime's next reopen starts a new file and the
    // rotated one is kept like any other.
    if (::rename(rotated.c_str(), log_path.c_str()) != 0) {
      int err = errno;
      kLog.Error("renaming the rotated log back failed",
                 {{"id", id},
                  {"rotated", rotated},
                  {"path", log_path},
                  {"error", ErrnoError(err, "rename").message()}});
    }
    return Fail(r.error().Wrap("reopening the log of container {}", id));
  }
  kLog.Info("rotated container log", {{"id", id}, {"path", log_path}, {"rotated", rotated}});
  return Ok();
}

void ContainerLogManager::CheckFastLoggers() {
  std::lock_guard lock(mu_);
  for (const auto& [id, t] : tracked_) {
    struct stat st;
    if (t.fast && !t.log_path.empty() && ::stat(t.log_path.c_str(), &st) == 0) {
      RotateIfFullLocked(id, t.log_path, st.st_size);
    }
  }
}

Status ContainerLogManager::CompressRotatedLogs() {
  std::vector<fs::path> todo;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, tracked] : tracked_) {
      // Only logs rotated since the last pass (or first seen) have anything to compress:
      // listing every container's directory every second would cost more than the checks.
      if (tracked.log_path.empty() || !tracked.needs_compression) {
        continue;
      }
      tracked.needs_compression = false;
      auto logs = RotatedLogs(tracked.log_path);
      // The newest rotated file stays plain: a reader following the log may still finish it.
      std::erase_if(logs, [](const fs::path& l) {
        std::string s = l.string();
        return s.ends_with(kGzSuffix) || s.ends_with(kTmpSuffix);
      });
      if (!logs.empty()) {
        logs.pop_back();
      }
      for (auto& l : logs) {
        if (compressing_.insert(l.string()).second) {
          todo.push_back(std::move(l));
        }
      }
    }
  }
  Status result = Ok();
  for (const auto& log : todo) {
    // Outside the lock: compressing a large file takes a while and must not hold up the
    // size checks of RotateLogs.
    fs::path tmp = log.string() + std::string(kTmpSuffix);
    Status st = GzipFile(log, tmp);
    std::lock_guard lock(mu_);
    compressing_.erase(log.string());
    if (st && !Exists(log)) {
      // Removed meanwhile (old enough to go, or its container was cleaned).
      (void)RemoveFile(tmp);
      continue;
    }
    if (st) {
      fs::path gz = log.string() + std::string(kGzSuffix);
      if (::rename(tmp.c_str(), gz.c_str()) != 0) {
        st = FailErrno("renaming {} to {}", tmp.string(), gz.string());
      } else {
        // The rename is durable before the original goes.
        (void)SyncDir(log.parent_path());
        st = RemoveFile(log);
      }
    }
    if (!st) {
      (void)RemoveFile(tmp);
      kLog.Error("compressing a rotated log",
                 {{"path", log.string()}, {"error", st.error().message()}});
      result = st;
    }
  }
  return result;
}

Status ContainerLogManager::Clean(const std::string& container_id) {
  std::lock_guard lock(mu_);
  std::string path;
  v1::ContainerStatusRequest req;
  req.set_container_id(container_id);
  if (auto resp = runtime_->ContainerStatus(req)) {
    path = resp->status().log_path();
  } else if (resp.error().code() == Code::kNotFound) {
    auto it = tracked_.find(container_id);
    if (it == tracked_.end()) {
      return Ok();
    }
    path = it->second.log_path;
  } else {
    return Fail(resp.error().Wrap("container {} status", container_id));
  }
  tracked_.erase(container_id);
  if (path.empty()) {
    return Ok();
  }
  CAPSTAN_TRY(RemoveFile(path));
  for (const auto& f : RotatedLogs(path)) {
    CAPSTAN_TRY(RemoveFile(f));
  }
  return Ok();
}

}  // namespace capstan::kubelet::logs

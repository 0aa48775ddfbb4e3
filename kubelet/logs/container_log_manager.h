#pragma once
// ContainerLogManager: size-based rotation of the CRI log files of running containers
// (upstream's containerLogManager). Each round lists the containers and stats the live log
// of each running one; a log of at least containerLogMaxSize is rotated:
//   1. leftovers of an interrupted round go (".tmp" compressions, plain files whose ".gz"
//      exists);
//   2. the oldest rotated files go, so that with the live file and the one rotated now at
//      most containerLogMaxFiles remain;
//   3. the live log is renamed to <log>.<YYYYMMDD-HHMMSS.mmm> (UTC, the injected clock) and the
//      runtime is asked to ReopenContainerLog, so it writes a fresh <log>; when that fails the
//      file is renamed back and the next round tries again.
// CompressRotatedLogs, a job of its own, gzips rotated files (<log>.<stamp>.gz via
// <log>.<stamp>.tmp) except the newest, which stays plain so readers following the log finish
// it. Upstream compresses inside the rotation round; but gzipping tens of megabytes takes
// seconds, during which a heavy logger's live file grows unchecked, so here the size checks
// never wait for a compression.
//
// A round is one ListContainers plus one stat per running container: log paths are cached
// per container (one ContainerStatus when a container is first seen), which keeps a round
// cheap enough to run every second (upstream: every 10 s). A container whose log grew by a
// tenth of the limit in a round is a fast logger: CheckFastLoggers, run ten times a second,
// stats just those, so a container writing 100 MB/s passes a 10 MiB limit by about a tenth
// of a second's output rather than by a second's. Stamps have millisecond resolution (a
// second rotation within the same millisecond waits). Rotated files of containers that
// disappeared from the runtime are removed.
//
// Thread-safe: rounds and Clean serialise on one lock.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "common/error.h"
#include "common/time.h"
#include "kubelet/config/kubelet_config.h"
#include "kubelet/logs/log_files.h"

namespace capstan::kubelet::logs {

struct ContainerLogPolicy {
  int64_t max_size_bytes = 10 * 1024 * 1024;  // containerLogMaxSize
  int32_t max_files = 5;                      // containerLogMaxFiles, the live file included
};

// The policy from containerLogMaxSize / containerLogMaxFiles (a quantity such as "10Mi").
Result<ContainerLogPolicy> LogPolicyFromConfig(const config::KubeletConfiguration& c);

class ContainerLogManager {
 public:
  ContainerLogManager(api::cri::RuntimeService* runtime, const Clock* clock,
                      ContainerLogPolicy policy);

  // One round over the running containers. Per-container failures are logged and do not
  // stop the round; the error is only for a failed ListContainers.
  Status RotateLogs();

  // Stats only the logs of fast loggers (see above) and rotates those at the limit; no RPC
  // unless one rotates.
  void CheckFastLoggers();

  // Gzips the rotated files of the tracked containers but the newest of each; files that
  // go meanwhile (pruned, cleaned) are skipped. Runs beside RotateLogs, not inside it.
  Status CompressRotatedLogs();

  // Removes a container's live log and its rotated files; the container GC calls it before
  // RemoveContainer (upstream's Clean). A container the runtime no longer knows is
  // cleaned through the cached path, or is a no-op.
  Status Clean(const std::string& container_id);

 private:
  struct Tracked {
    std::string log_path;            // empty: the runtime keeps no log for it
    int64_t last_size = 0;           // at the last round (0 after a rotation)
    bool fast = false;               // grew by a tenth of the limit in the last round
    bool needs_compression = false;  // rotated (or first seen) since the last compression
  };

  // The cached log path of a running container, asking the runtime the first time.
  Result<std::string> LogPathLocked(const std::string& id);
  void ProcessContainerLocked(const std::string& id, const std::string& log_path);
  void RotateIfFullLocked(const std::string& id, const std::string& log_path, int64_t size);
  Status RotateLocked(const std::string& id, const std::string& log_path);
  Status RotateLatestLocked(const std::string& id, const std::string& log_path,
                            const std::string& rotated);

  api::cri::RuntimeService* runtime_;
  const Clock* clock_;
  ContainerLogPolicy policy_;
  std::mutex mu_;
  std::map<std::string, Tracked> tracked_;  // by container id
  std::set<std::string> compressing_;       // rotated files being compressed now
};

// --- The file-level steps (exposed for tests).

// Removes ".tmp" files and plain files whose ".gz" exists; returns the rest.
Result<std::vector<std::filesystem::path>> CleanupUnusedLogs(
    std::vector<std::filesystem::path> logs);
// "20260101-000000.000": the suffix a log rotated at `t` gets (sorts by time).
std::string RotationStamp(WallTime t);

}  // namespace capstan::kubelet::logs

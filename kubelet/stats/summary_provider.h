#pragma once
// SummaryProvider: the node's, pods' and containers' stats behind /stats/summary and
// /metrics/resource (upstream's pkg/kubelet/stats with CRI stats). Containers come from the
// runtime's CRI stats, so the same kubelet reports on containerd; pods and the node are read
// from their cgroups and /proc by cadvisor-lite. CPU rates (usageNanoCores) come from two
// samples: the runtime's own when it gives one, the provider's RateTracker otherwise.
//
// Nothing is polled while nobody asks: Housekeep() (every 10 s) samples only when a summary
// was asked for in the last few minutes, so rates stay fresh between scrapes.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "cadvisor-lite/cgroup_reader.h"
#include "cadvisor-lite/fs_usage.h"
#include "cadvisor-lite/host_reader.h"
#include "cadvisor-lite/rate_tracker.h"
#include "cadvisor-lite/summary.h"
#include "common/time.h"

namespace capstan::kubelet::stats {

struct SummaryProviderDeps {
  const Clock* clock = nullptr;
  api::cri::RuntimeService* runtime = nullptr;
  api::cri::ImageService* images = nullptr;          // ImageFsInfo (null: no image fs)
  const cadvisor::CgroupReader* cgroups = nullptr;   // pod cgroups (null: containers summed)
  const cadvisor::HostReader* host = nullptr;        // the node (null: no node cpu/memory)
  std::function<std::vector<api::k8s::Pod>()> pods;  // the pods the kubelet manages
  // The pod's cgroup ("/kubepods/burstable/pod<uid>"), or "" when pods have none.
  std::function<std::string(const api::k8s::Pod&)> pod_cgroup;
  // Measures the filesystem holding a path (null: statvfs).
  std::function<Result<cadvisor::FsInfo>(const std::string&)> stat_fs;
};

struct SummaryProviderOptions {
  std::string node_name;
  std::string root_dir = "/var/lib/kubelet";  // the node filesystem (nodefs)
  std::string pod_logs_dir = "/var/log/pods";
  std::string kubepods_cgroup = "/kubepods";  // the "pods" system container ("" none)
  WallTime node_start_time;
  std::chrono::minutes active_window{5};  // sample in Housekeep while asked within this
  // How often a volume's tree is walked (upstream's volumeStatsAggPeriod).
  std::chrono::seconds volume_stats_period{60};
};

class SummaryProvider {
 public:
  SummaryProvider(SummaryProviderOptions options, SummaryProviderDeps deps);

  // A summary as of now. Missing parts (a pod whose cgroup just went, a runtime that gives
  // no stats) are left out rather than failing the whole; `incomplete` says whether any was.
  cadvisor::Summary Get(bool only_cpu_and_memory, bool* incomplete = nullptr);
  // Called periodically: samples when someone asked in the last few minutes but not the last
  // few seconds (then the samples are fresh), and forgets gone containers.
  void Housekeep();

 private:
  struct RuntimeContainer {
    std::string id, name, pod_uid;
    WallTime started;
  };
  cadvisor::NodeStats NodeStats(WallTime now, bool only_cpu_and_memory, bool& incomplete);
  cadvisor::CpuStats Cpu(const std::string& key, WallTime now, uint64_t usage_ns);
  cadvisor::MemoryStats Memory(WallTime now, uint64_t usage, uint64_t working_set, uint64_t rss,
                               std::optional<uint64_t> limit);
  Result<cadvisor::FsInfo> StatFs(const std::string& path) const;
  // The pod's local volumes (emptyDir, configMap, secret, downwardAPI, projected); adds what
  // the disk-backed ones use to the pod's ephemeral storage.
  std::vector<cadvisor::VolumeStats> Volumes(const api::k8s::Pod& pod, WallTime now,
                                             const std::optional<cadvisor::FsInfo>& nodefs,
                                             uint64_t& eph_bytes, uint64_t& eph_inodes);
  // A volume directory's usage, walked at most every volume_stats_period.
  cadvisor::FilesUsage CachedTreeUsage(const std::string& dir);

  SummaryProviderOptions options_;
  SummaryProviderDeps deps_;
  cadvisor::RateTracker rates_;
  std::atomic<int64_t> last_asked_ns_{0};  // Monotonic, 0: never
  struct TreeSample {
    std::chrono::steady_clock::time_point walked, asked;
    cadvisor::FilesUsage usage;
  };
  std::mutex volumes_mu_;
  std::map<std::string, TreeSample> volume_usage_;  // by directory
};

}  // namespace capstan::kubelet::stats

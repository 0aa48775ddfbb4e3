#include "kubelet/stats/summary_provider.h"

#include <map>

#include "cadvisor-lite/fs_usage.h"
#include "common/log.h"
#include "kubelet/kuberuntime/labels.h"

namespace capstan::kubelet::stats {

namespace {

namespace v1 = api::cri::v1;
const log::Logger kLog("stats");

cadvisor::FsStats ToFsStats(WallTime now, const cadvisor::FsInfo& fs) {
  cadvisor::FsStats s;
  s.time = now;
  s.capacity_bytes = fs.capacity_bytes;
  s.available_bytes = fs.available_bytes;
  s.used_bytes = fs.used_bytes;
  s.inodes = fs.inodes;
  s.inodes_free = fs.inodes_free;
  s.inodes_used = fs.inodes - std::min(fs.inodes, fs.inodes_free);
  return s;
}

// Usage figures on the filesystem `fs` (capacity and free space are the filesystem's).
cadvisor::FsStats UsageOn(WallTime now, const std::optional<cadvisor::FsInfo>& fs, uint64_t bytes,
                          uint64_t inodes) {
  cadvisor::FsStats s;
  if (fs) {
    s = ToFsStats(now, *fs);
  }
  s.time = now;
  s.used_bytes = bytes;
  s.inodes_used = inodes;
  return s;
}

std::string Label(const google::protobuf::Map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

}  // namespace

SummaryProvider::SummaryProvider(SummaryProviderOptions options, SummaryProviderDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      rates_(deps_.clock,
             {.min_interval = std::chrono::seconds(1), .forget_after = std::chrono::minutes(5)}) {}

Result<cadvisor::FsInfo> SummaryProvider::StatFs(const std::string& path) const {
  return deps_.stat_fs ? deps_.stat_fs(path) : cadvisor::StatFilesystem(path);
}

cadvisor::CpuStats SummaryProvider::Cpu(const std::string& key, WallTime now, uint64_t usage_ns) {
  cadvisor::CpuStats c;
  c.time = now;
  c.usage_core_nano_seconds = usage_ns;
  c.usage_nano_cores = rates_.Observe(key, now, usage_ns);
  return c;
}

cadvisor::MemoryStats SummaryProvider::Memory(WallTime now, uint64_t usage, uint64_t working_set,
                                              uint64_t rss, std::optional<uint64_t> limit) {
  cadvisor::MemoryStats m;
  m.time = now;
  m.usage_bytes = usage;
  m.working_set_bytes = working_set;
  m.rss_bytes = rss;
  if (limit) {
    m.available_bytes = *limit > working_set ? *limit - working_set : 0;
  }
  return m;
}

cadvisor::NodeStats SummaryProvider::NodeStats(WallTime now, bool only_cpu_and_memory,
                                               bool& incomplete) {
  cadvisor::NodeStats n;
  n.node_name = options_.node_name;
  n.start_time = options_.node_start_time;
  if (deps_.host) {
    if (auto h = deps_.host->Read()) {
      n.cpu = Cpu("node", now, h->cpu_usage_ns);
      n.memory = Memory(now, h->memory_usage_bytes, h->memory_working_set_bytes,
                        h->memory_rss_bytes, h->memory_total_bytes);
      n.memory->page_faults = h->page_faults;
      n.memory->major_page_faults = h->major_page_faults;
      n.max_pid = h->max_pid;
      n.cur_proc = h->processes;
      n.rlimit_time = now;
    } else {
      kLog.Warn("reading the node's stats", {{"error", h.error().message()}});
      incomplete = true;
    }
  }
  if (deps_.cgroups && !options_.kubepods_cgroup.empty()) {
    if (auto s = deps_.cgroups->Read(options_.kubepods_cgroup)) {
      cadvisor::ContainerStats pods;
      pods.name = "pods";
      pods.start_time = options_.node_start_time;
      pods.cpu = Cpu("system:pods", now, s->cpu_usage_ns);
      pods.memory = Memory(now, s->memory_usage_bytes, s->memory_working_set_bytes,
                           s->memory_rss_bytes, s->memory_limit_bytes);
      n.system_containers.push_back(std::move(pods));
    }
  }
  if (only_cpu_and_memory) {
    return n;
  }
  if (auto fs = StatFs(options_.root_dir)) {
    n.fs = ToFsStats(now, *fs);
  }
  if (deps_.images) {
    if (auto info = deps_.images->ImageFsInfo(v1::ImageFsInfoRequest()); info) {
      for (const auto& u : info->image_filesystems()) {
        std::optional<cadvisor::FsInfo> fs;
        if (auto f = StatFs(u.fs_id().mountpoint())) {
          fs = *f;
        }
        n.image_fs = UsageOn(now, fs, u.used_bytes().value(), u.inodes_used().value());
        break;
      }
    }
  }
  return n;
}

cadvisor::Summary SummaryProvider::Get(bool only_cpu_and_memory, bool* incomplete_out) {
  last_asked_ns_ = deps_.clock->Monotonic().time_since_epoch().count();
  WallTime now = deps_.clock->Now();
  bool incomplete = false;
  cadvisor::Summary summary;
  summary.node = NodeStats(now, only_cpu_and_memory, incomplete);

  // The runtime's running containers (names, pods, start times) and their stats.
  std::map<std::string, std::vector<RuntimeContainer>> by_pod;
  v1::ListContainersRequest list;
  list.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
  if (auto resp = deps_.runtime->ListContainers(list)) {
    for (const auto& c : resp->containers()) {
      std::string uid = Label(c.labels(), kuberuntime::kPodUidLabel);
      if (uid.empty()) {
        continue;  // not the kubelet's
      }
      by_pod[uid].push_back({c.id(), c.metadata().name(), uid, FromUnixNanos(c.created_at())});
    }
  } else {
    kLog.Warn("listing containers", {{"error", resp.error().message()}});
    incomplete = true;
  }
  std::map<std::string, v1::ContainerStats> container_stats;
  if (auto resp = deps_.runtime->ListContainerStats(v1::ListContainerStatsRequest())) {
    for (auto& s : *resp->mutable_stats()) {
      container_stats[s.attributes().id()] = std::move(s);
    }
  } else {
    kLog.Warn("container stats", {{"error", resp.error().message()}});
    incomplete = true;
  }
  std::map<std::string, v1::PodSandboxStats> sandbox_stats;  // by pod uid
  if (!only_cpu_and_memory) {
    if (auto resp = deps_.runtime->ListPodSandboxStats(v1::ListPodSandboxStatsRequest())) {
      for (auto& s : *resp->mutable_stats()) {
        sandbox_stats[s.attributes().metadata().uid()] = std::move(s);
      }
    }
  }
  std::optional<cadvisor::FsInfo> nodefs, imagefs;
  if (!only_cpu_and_memory) {
    if (auto fs = StatFs(options_.pod_logs_dir)) {
      nodefs = *fs;
    }
    if (summary.node.image_fs) {
      cadvisor::FsInfo f;
      f.capacity_bytes = summary.node.image_fs->capacity_bytes.value_or(0);
      f.available_bytes = summary.node.image_fs->available_bytes.value_or(0);
      f.inodes = summary.node.image_fs->inodes.value_or(0);
      f.inodes_free = summary.node.image_fs->inodes_free.value_or(0);
      imagefs = f;
    }
  }

  for (const auto& pod : deps_.pods()) {
    const auto& meta = pod.metadata;
    auto running = by_pod.find(meta.uid);
    if (running == by_pod.end()) {
      continue;  // nothing of it runs: nothing to measure
    }
    cadvisor::PodStats p;
    p.name = meta.name;
    p.namespace_ = meta.namespace_;
    p.uid = meta.uid;
    p.start_time = pod.status.start_time.value_or(meta.creation_timestamp.value_or(now));
    uint64_t cpu_sum = 0, ws_sum = 0, usage_sum = 0, rss_sum = 0, eph_bytes = 0, eph_inodes = 0;
    for (const auto& rc : running->second) {
      cadvisor::ContainerStats c;
      c.name = rc.name;
      c.start_time = rc.started;
      auto st = container_stats.find(rc.id);
      if (st == container_stats.end()) {
        incomplete = true;
        p.containers.push_back(std::move(c));
        continue;
      }
      const v1::ContainerStats& cs = st->second;
      if (cs.has_cpu()) {
        uint64_t usage = cs.cpu().usage_core_nano_seconds().value();
        c.cpu = Cpu(rc.id, now, usage);
        if (cs.cpu().has_usage_nano_cores()) {
          c.cpu->usage_nano_cores = cs.cpu().usage_nano_cores().value();
        }
        cpu_sum += usage;
      }
      if (cs.has_memory()) {
        const auto& m = cs.memory();
        c.memory = Memory(now, m.usage_bytes().value(), m.working_set_bytes().value(),
                          m.rss_bytes().value(), std::nullopt);
        if (m.has_available_bytes()) {
          c.memory->available_bytes = m.available_bytes().value();
        }
        if (m.has_page_faults()) {
          c.memory->page_faults = m.page_faults().value();
          c.memory->major_page_faults = m.major_page_faults().value();
        }
        ws_sum += m.working_set_bytes().value();
        usage_sum += m.usage_bytes().value();
        rss_sum += m.rss_bytes().value();
      }
      if (!only_cpu_and_memory) {
        if (cs.has_writable_layer()) {
          const auto& w = cs.writable_layer();
          c.rootfs = UsageOn(now, imagefs, w.used_bytes().value(), w.inodes_used().value());
          eph_bytes += w.used_bytes().value();
          eph_inodes += w.inodes_used().value();
        }
        auto logs = cadvisor::DirectFilesUsage(options_.pod_logs_dir + "/" + meta.namespace_ + "_" +
                                               meta.name + "_" + meta.uid + "/" + rc.name);
        c.logs = UsageOn(now, nodefs, logs.bytes, logs.inodes);
        eph_bytes += logs.bytes;
        eph_inodes += logs.inodes;
      }
      p.containers.push_back(std::move(c));
    }
    std::string cgroup = deps_.pod_cgroup ? deps_.pod_cgroup(pod) : "";
    std::optional<cadvisor::CgroupSample> pod_cgroup;
    if (deps_.cgroups && !cgroup.empty()) {
      if (auto s = deps_.cgroups->Read(cgroup)) {
        pod_cgroup = *s;
      }
    }
    if (pod_cgroup) {
      p.cpu = Cpu("pod:" + meta.uid, now, pod_cgroup->cpu_usage_ns);
      p.memory = Memory(now, pod_cgroup->memory_usage_bytes, pod_cgroup->memory_working_set_bytes,
                        pod_cgroup->memory_rss_bytes, pod_cgroup->memory_limit_bytes);
      p.memory->page_faults = pod_cgroup->page_faults;
      p.memory->major_page_faults = pod_cgroup->major_page_faults;
      p.process_count = pod_cgroup->pids;
    } else {
      // No pod cgroup: the pod is what its containers are.
      p.cpu = Cpu("pod:" + meta.uid, now, cpu_sum);
      p.memory = Memory(now, usage_sum, ws_sum, rss_sum, std::nullopt);
    }
    if (!only_cpu_and_memory) {
      p.volumes = Volumes(pod, now, nodefs, eph_bytes, eph_inodes);
      p.ephemeral_storage = UsageOn(now, nodefs, eph_bytes, eph_inodes);
      if (auto sb = sandbox_stats.find(meta.uid);
          sb != sandbox_stats.end() && sb->second.linux().has_network()) {
        cadvisor::NetworkStats net;
        net.time = now;
        const auto& nu = sb->second.linux().network();
        auto add = [&](const v1::NetworkInterfaceUsage& i) {
          net.interfaces.push_back({i.name(), i.rx_bytes().value(), i.rx_errors().value(),
                                    i.tx_bytes().value(), i.tx_errors().value()});
        };
        if (nu.has_default_interface()) {
          add(nu.default_interface());  // first: the summary's inline interface
        }
        for (const auto& i : nu.interfaces()) {
          // containerd lists the default interface in both places.
          if (!nu.has_default_interface() || i.name() != nu.default_interface().name()) {
            add(i);
          }
        }
        p.network = std::move(net);
      }
    }
    summary.pods.push_back(std::move(p));
  }
  if (incomplete_out) {
    *incomplete_out = incomplete;
  }
  return summary;
}

cadvisor::FilesUsage SummaryProvider::CachedTreeUsage(const std::string& dir) {
  auto now = deps_.clock->Monotonic();
  {
    std::lock_guard lock(volumes_mu_);
    auto it = volume_usage_.find(dir);
    if (it != volume_usage_.end() && now - it->second.walked < options_.volume_stats_period) {
      it->second.asked = now;
      return it->second.usage;
    }
  }
  auto usage = cadvisor::TreeUsage(dir);  // without the lock: a walk may take a while
  std::lock_guard lock(volumes_mu_);
  volume_usage_[dir] = TreeSample{now, now, usage};
  return usage;
}

std::vector<cadvisor::VolumeStats> SummaryProvider::Volumes(
    const api::k8s::Pod& pod, WallTime now, const std::optional<cadvisor::FsInfo>& nodefs,
    uint64_t& eph_bytes, uint64_t& eph_inodes) {
  std::vector<cadvisor::VolumeStats> out;
  for (const auto& v : pod.spec.volumes) {
    const char* plugin = v.empty_dir      ? "kubernetes.io~empty-dir"
                         : v.config_map   ? "kubernetes.io~configmap"
                         : v.secret       ? "kubernetes.io~secret"
                         : v.downward_api ? "kubernetes.io~downward-api"
                         : v.projected    ? "kubernetes.io~projected"
                                          : nullptr;  // hostPath: none; PVCs: their driver's
    if (!plugin) continue;
    std::string dir =
        options_.root_dir + "/pods/" + pod.metadata.uid + "/volumes/" + plugin + "/" + v.name;
    cadvisor::VolumeStats vs;
    vs.name = v.name;
    if (v.empty_dir && v.empty_dir->medium == "Memory") {
      // A tmpfs of its own: its statfs is the volume, and it is memory, not ephemeral storage.
      auto fs = StatFs(dir);
      if (!fs) continue;
      vs.fs = UsageOn(now, *fs, fs->used_bytes, fs->inodes - fs->inodes_free);
    } else {
      auto usage = CachedTreeUsage(dir);
      vs.fs = UsageOn(now, nodefs, usage.bytes, usage.inodes);
      eph_bytes += usage.bytes;
      eph_inodes += usage.inodes;
    }
    out.push_back(std::move(vs));
  }
  return out;
}

void SummaryProvider::Housekeep() {
  int64_t last = last_asked_ns_;
  auto now = deps_.clock->Monotonic().time_since_epoch();
  auto since_asked = now - std::chrono::nanoseconds(last);
  // Asked within the last few seconds (eviction's round just now): the samples are fresh.
  if (last != 0 && since_asked >= std::chrono::seconds(5) && since_asked < options_.active_window) {
    int64_t keep = last;
    Get(true);
    last_asked_ns_ = keep;  // sampling is not asking: idle nodes stop sampling
  }
  rates_.Prune();
  // Volumes nobody asked about for a while (their pod is gone) are forgotten.
  auto mono = deps_.clock->Monotonic();
  std::lock_guard lock(volumes_mu_);
  for (auto it = volume_usage_.begin(); it != volume_usage_.end();) {
    it = mono - it->second.asked > options_.active_window ? volume_usage_.erase(it) : std::next(it);
  }
}

}  // namespace capstan::kubelet::stats

#pragma once
// The kubelet's stats, in the shape /stats/summary serves them
// (k8s.io/kubelet/pkg/apis/stats/v1alpha1, JSON); metrics_text.h has them as Prometheus text.
// Unset optionals are left out of the JSON, as the Go types' omitempty pointers are.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cadvisor-lite/parsers.h"
#include "common/time.h"

namespace capstan::cadvisor {

struct CpuStats {
  WallTime time;
  std::optional<uint64_t> usage_nano_cores;
  std::optional<uint64_t> usage_core_nano_seconds;
};

struct MemoryStats {
  WallTime time;
  std::optional<uint64_t> available_bytes, usage_bytes, working_set_bytes, rss_bytes;
  std::optional<uint64_t> page_faults, major_page_faults;
};

struct NetworkStats {
  WallTime time;
  std::vector<InterfaceStats> interfaces;  // the first is the default (eth0)
};

struct FsStats {
  WallTime time;
  std::optional<uint64_t> available_bytes, capacity_bytes, used_bytes;
  std::optional<uint64_t> inodes_free, inodes, inodes_used;
};

struct ContainerStats {
  std::string name;
  WallTime start_time;
  std::optional<CpuStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<FsStats> rootfs, logs;
};

struct VolumeStats {
  std::string name;
  FsStats fs;
  std::optional<std::pair<std::string, std::string>> pvc_ref;  // name, namespace
};

struct PodStats {
  std::string name, namespace_, uid;
  WallTime start_time;
  std::vector<ContainerStats> containers;
  std::optional<CpuStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<NetworkStats> network;
  std::vector<VolumeStats> volumes;
  std::optional<FsStats> ephemeral_storage;
  std::optional<uint64_t> process_count;
};

struct NodeStats {
  std::string node_name;
  std::vector<ContainerStats> system_containers;  // kubelet, runtime, pods
  WallTime start_time;
  std::optional<CpuStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<NetworkStats> network;
  std::optional<FsStats> fs;
  std::optional<FsStats> image_fs;
  std::optional<uint64_t> max_pid, cur_proc;
  WallTime rlimit_time;
};

struct Summary {
  NodeStats node;
  std::vector<PodStats> pods;
};

nlohmann::json SummaryToJson(const Summary& summary);

}  // namespace capstan::cadvisor

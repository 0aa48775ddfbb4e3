// ContainerStats and ListContainerStats from the containers' cgroups.
#include <set>

#include "cadvisor-lite/fs_usage.h"
#include "common/time.h"
#include "cri/runtime/label_filter.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {

// As containerd, whose snapshot usage is refreshed every 10 s: crictl stats and the kubelet
// see a writable layer at most that old, and a container is walked at most that often.
constexpr auto kLayerUsageMaxAge = std::chrono::seconds(10);

}  // namespace

std::pair<uint64_t, uint64_t> Runtime::WritableLayerUsage(const std::string& id) {
  auto now = clock_.Monotonic();
  {
    std::lock_guard lock(layer_usage_mu_);
    auto it = layer_usage_.find(id);
    if (it != layer_usage_.end() && now - it->second.at < kLayerUsageMaxAge) {
      return {it->second.bytes, it->second.inodes};
    }
  }
  // Walked without the lock held: two callers may both walk, which costs only time.
  // The overlay upper dir: what the container wrote.
  auto u = cadvisor::TreeUsage(records_.ContainerDir(id) + "/upper");
  std::lock_guard lock(layer_usage_mu_);
  layer_usage_[id] = LayerUsage{now, u.bytes, u.inodes};
  return {u.bytes, u.inodes};
}

void Runtime::ForgetLayerUsageOfGoneContainers() {
  std::set<std::string> live;
  for (const auto& c : records_.Containers()) live.insert(c->id);
  std::lock_guard lock(layer_usage_mu_);
  for (auto it = layer_usage_.begin(); it != layer_usage_.end();) {
    it = live.count(it->first) ? std::next(it) : layer_usage_.erase(it);
  }
}

void Runtime::FillCgroupUsage(const std::string& key, int64_t now, const oci::CgroupStats& st,
                              v1::CpuUsage* cpu, v1::MemoryUsage* memory) {
  cpu->set_timestamp(now);
  cpu->mutable_usage_core_nano_seconds()->set_value(st.cpu_usage_ns);
  if (auto rate = cpu_rates_.Observe(key, FromUnixNanos(now), st.cpu_usage_ns)) {
    cpu->mutable_usage_nano_cores()->set_value(*rate);
  }
  memory->set_timestamp(now);
  memory->mutable_working_set_bytes()->set_value(st.memory_working_set_bytes);
  memory->mutable_usage_bytes()->set_value(st.memory_usage_bytes);
  memory->mutable_rss_bytes()->set_value(st.memory_rss_bytes);
  memory->mutable_page_faults()->set_value(st.page_faults);
  memory->mutable_major_page_faults()->set_value(st.major_page_faults);
  if (st.memory_limit_bytes) {
    uint64_t limit = *st.memory_limit_bytes;
    memory->mutable_available_bytes()->set_value(
        limit > st.memory_working_set_bytes ? limit - st.memory_working_set_bytes : 0);
  }
}

void Runtime::FillContainerStats(ContainerRecord& c, v1::ContainerStats* out) {
  int64_t now = UnixNanos(WallNow());
  {
    std::lock_guard lock(c.mu);
    out->mutable_attributes()->set_id(c.id);
    *out->mutable_attributes()->mutable_metadata() = c.config.metadata();
    *out->mutable_attributes()->mutable_labels() = c.config.labels();
    *out->mutable_attributes()->mutable_annotations() = c.config.annotations();
  }
  if (auto st = deps_.cgroups->Stats(c.cgroup_path)) {
    FillCgroupUsage(c.id, now, *st, out->mutable_cpu(), out->mutable_memory());
  }
  auto [bytes, inodes] = WritableLayerUsage(c.id);
  auto* fs = out->mutable_writable_layer();
  fs->set_timestamp(now);
  fs->mutable_fs_id()->set_mountpoint(config_.root);
  fs->mutable_used_bytes()->set_value(bytes);
  fs->mutable_inodes_used()->set_value(inodes);
}

Result<v1::ContainerStatsResponse> Runtime::ContainerStats(const v1::ContainerStatsRequest& req) {
  CAPSTAN_ASSIGN_OR_RETURN(auto c, records_.Container(req.container_id()));
  v1::ContainerStatsResponse resp;
  FillContainerStats(*c, resp.mutable_stats());
  return resp;
}

Result<v1::ListContainerStatsResponse> Runtime::ListContainerStats(
    const v1::ListContainerStatsRequest& req) {
  v1::ListContainerStatsResponse resp;
  cpu_rates_.Prune();  // forget containers that are gone
  ForgetLayerUsageOfGoneContainers();
  const auto& f = req.filter();
  for (const auto& c : records_.Containers()) {
    {
      std::lock_guard lock(c->mu);
      if (c->state != v1::CONTAINER_RUNNING) {
        continue;
      }
      if (!f.id().empty() && c->id.compare(0, f.id().size(), f.id()) != 0) {
        continue;
      }
      if (!f.pod_sandbox_id().empty() &&
          c->sandbox_id.compare(0, f.pod_sandbox_id().size(), f.pod_sandbox_id()) != 0) {
        continue;
      }
      if (!LabelsMatch(f.label_selector(), c->config.labels())) {
        continue;
      }
    }
    FillContainerStats(*c, resp.add_stats());
  }
  return resp;
}

}  // namespace capstan::cri::runtime

// ContainerStats and ListContainerStats from the containers' cgroups.
#include <sys/stat.h>

#include <filesystem>

#include "common/time.h"
#include "cri/runtime/label_filter.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

namespace {

// Bytes and inodes the container wrote (its overlay upper dir).
std::pair<uint64_t, uint64_t> WritableLayerUsage(const std::string& dir) {
  uint64_t bytes = 0, inodes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) {
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
      ++inodes;
    }
  }
  return {bytes, inodes};
}

}  // namespace

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
  auto [bytes, inodes] = WritableLayerUsage(records_.ContainerDir(c.id) + "/upper");
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

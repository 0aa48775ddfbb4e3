// The Node service of capstan-csi-hostpath: stage binds the volume's directory at the global
// staging path, publish binds that at the pod's target (read-only where asked), and inline
// ephemeral volumes are made by their publish and removed by their unpublish.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <fmt/format.h>

#include <filesystem>

#include "common/mount_table.h"
#include "csi/hostpath/driver.h"
#include "csi/lib/mount.h"
#include "csi/lib/validate.h"

namespace capstan::csi::hostpath {
namespace {

namespace fs = std::filesystem;
using ::csi::v1::NodeServiceCapability;
using ::csi::v1::VolumeCapability;
using grpc::StatusCode;

constexpr const char* kEphemeralContext = "csi.storage.k8s.io/ephemeral";

grpc::Status Internal(const Error& e) { return StatusOf(StatusCode::INTERNAL, e.message()); }

bool ReadOnlyMode(const VolumeCapability& cap) {
  auto mode = cap.access_mode().mode();
  return mode == VolumeCapability::AccessMode::SINGLE_NODE_READER_ONLY ||
         mode == VolumeCapability::AccessMode::MULTI_NODE_READER_ONLY;
}

class NodeService final : public ::csi::v1::Node::Service {
 public:
  explicit NodeService(std::shared_ptr<Volumes> v) : v_(std::move(v)) {}

  grpc::Status NodeGetCapabilities(grpc::ServerContext*,
                                   const ::csi::v1::NodeGetCapabilitiesRequest*,
                                   ::csi::v1::NodeGetCapabilitiesResponse* out) override {
    for (auto type : {NodeServiceCapability::RPC::STAGE_UNSTAGE_VOLUME,
                      NodeServiceCapability::RPC::GET_VOLUME_STATS,
                      NodeServiceCapability::RPC::VOLUME_CONDITION,
                      NodeServiceCapability::RPC::SINGLE_NODE_MULTI_WRITER,
                      NodeServiceCapability::RPC::EXPAND_VOLUME}) {
      out->add_capabilities()->mutable_rpc()->set_type(type);
    }
    return grpc::Status::OK;
  }

  grpc::Status NodeGetInfo(grpc::ServerContext*, const ::csi::v1::NodeGetInfoRequest*,
                           ::csi::v1::NodeGetInfoResponse* out) override {
    out->set_node_id(v_->config().node_id);
    v_->SetTopology(out->mutable_accessible_topology());
    return grpc::Status::OK;
  }

  grpc::Status NodeStageVolume(grpc::ServerContext*, const ::csi::v1::NodeStageVolumeRequest* req,
                               ::csi::v1::NodeStageVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    if (auto st = CheckMountCapability(*req); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    if (auto st = Known(req->volume_id()); !st.ok()) return st;
    if (auto st =
            BindMount(v_->state().VolumeDir(req->volume_id()), req->staging_target_path(), false);
        !st) {
      return Internal(st.error());
    }
    std::lock_guard lock(v_->mu());
    v_->state().volumes()[req->volume_id()].staged.insert(req->staging_target_path());
    return v_->Persist();
  }

  grpc::Status NodeUnstageVolume(grpc::ServerContext*,
                                 const ::csi::v1::NodeUnstageVolumeRequest* req,
                                 ::csi::v1::NodeUnstageVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    if (auto st = Unmount(req->staging_target_path(), false); !st) {
      return Internal(st.error());
    }
    std::lock_guard lock(v_->mu());
    auto it = v_->state().volumes().find(req->volume_id());
    if (it == v_->state().volumes().end() ||
        it->second.staged.erase(req->staging_target_path()) == 0) {
      return grpc::Status::OK;
    }
    return v_->Persist();
  }

  grpc::Status NodePublishVolume(grpc::ServerContext*,
                                 const ::csi::v1::NodePublishVolumeRequest* req,
                                 ::csi::v1::NodePublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->target_path(), "target_path"); !st.ok()) return st;
    if (auto st = CheckMountCapability(*req); !st.ok()) return st;
    auto ctx = req->volume_context().find(kEphemeralContext);
    bool ephemeral = ctx != req->volume_context().end() && ctx->second == "true";
    if (!ephemeral) {
      if (auto st = Require(req->staging_target_path(), "staging_target_path"); !st.ok()) return st;
    }
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    if (ephemeral) {
      if (auto st = MakeEphemeral(req->volume_id()); !st.ok()) return st;
    } else if (auto st = Known(req->volume_id()); !st.ok()) {
      return st;
    }
    // From the staging mount when there is one, so what a pod sees is what was staged.
    std::string source = v_->state().VolumeDir(req->volume_id());
    if (!req->staging_target_path().empty() && IsMountPoint(req->staging_target_path())) {
      source = req->staging_target_path();
    } else if (!ephemeral) {
      return StatusOf(StatusCode::FAILED_PRECONDITION,
                      fmt::format("volume {} is not staged at {}", req->volume_id(),
                                  req->staging_target_path()));
    }
    bool read_only = req->readonly() || ReadOnlyMode(req->volume_capability());
    if (auto st = BindMount(source, req->target_path(), read_only); !st) {
      return Internal(st.error());
    }
    std::lock_guard lock(v_->mu());
    v_->state().volumes()[req->volume_id()].published.insert(req->target_path());
    return v_->Persist();
  }

  grpc::Status NodeUnpublishVolume(grpc::ServerContext*,
                                   const ::csi::v1::NodeUnpublishVolumeRequest* req,
                                   ::csi::v1::NodeUnpublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->target_path(), "target_path"); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    if (auto st = Unmount(req->target_path(), true); !st) {
      return Internal(st.error());
    }
    std::lock_guard lock(v_->mu());
    auto& volumes = v_->state().volumes();
    auto it = volumes.find(req->volume_id());
    if (it == volumes.end() || it->second.published.erase(req->target_path()) == 0) {
      return grpc::Status::OK;
    }
    if (it->second.ephemeral && it->second.published.empty()) {
      std::error_code ignored;
      fs::remove_all(v_->state().VolumeDir(it->first), ignored);
      volumes.erase(it);
    }
    return v_->Persist();
  }

  grpc::Status NodeGetVolumeStats(grpc::ServerContext*,
                                  const ::csi::v1::NodeGetVolumeStatsRequest* req,
                                  ::csi::v1::NodeGetVolumeStatsResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->volume_path(), "volume_path"); !st.ok()) return st;
    int64_t capacity = 0;
    {
      std::lock_guard lock(v_->mu());
      auto it = v_->state().volumes().find(req->volume_id());
      if (it == v_->state().volumes().end()) {
        return NotFound(fmt::format("volume {} not found", req->volume_id()));
      }
      capacity = it->second.capacity;
    }
    std::error_code ec;
    if (!fs::exists(req->volume_path(), ec)) {
      return NotFound(fmt::format("volume path {} does not exist", req->volume_path()));
    }
    std::string dir = v_->state().VolumeDir(req->volume_id());
    int64_t used = DiskUsage(dir);
    auto* bytes = out->add_usage();
    bytes->set_unit(::csi::v1::VolumeUsage::BYTES);
    bytes->set_total(capacity);
    bytes->set_used(used);
    bytes->set_available(std::max<int64_t>(0, capacity - used));
    struct statvfs fs_stat {};
    if (::statvfs(dir.c_str(), &fs_stat) == 0) {
      auto* inodes = out->add_usage();
      inodes->set_unit(::csi::v1::VolumeUsage::INODES);
      inodes->set_total(static_cast<int64_t>(fs_stat.f_files));
      inodes->set_available(static_cast<int64_t>(fs_stat.f_favail));
      inodes->set_used(static_cast<int64_t>(fs_stat.f_files - fs_stat.f_ffree));
    }
    bool healthy = fs::is_directory(dir, ec);
    out->mutable_volume_condition()->set_abnormal(!healthy);
    out->mutable_volume_condition()->set_message(healthy ? "healthy"
                                                         : "the volume's directory is missing");
    return grpc::Status::OK;
  }

  grpc::Status NodeExpandVolume(grpc::ServerContext*, const ::csi::v1::NodeExpandVolumeRequest* req,
                                ::csi::v1::NodeExpandVolumeResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->volume_path(), "volume_path"); !st.ok()) return st;
    std::lock_guard lock(v_->mu());
    auto it = v_->state().volumes().find(req->volume_id());
    if (it == v_->state().volumes().end()) {
      return NotFound(fmt::format("volume {} not found", req->volume_id()));
    }
    out->set_capacity_bytes(it->second.capacity);  // the controller grew it; nothing to do here
    return grpc::Status::OK;
  }

 private:
  grpc::Status Known(const std::string& id) {
    std::lock_guard lock(v_->mu());
    if (!v_->state().volumes().contains(id)) {
      return NotFound(fmt::format("volume {} not found", id));
    }
    return grpc::Status::OK;
  }

  // An inline volume's id is the kubelet's (csi-<hash>), so it is checked before it names a
  // directory.
  grpc::Status MakeEphemeral(const std::string& id) {
    if (id.find('/') != std::string::npos || id == "." || id == ".." || id.size() > 128) {
      return InvalidArgument(fmt::format("volume id {} cannot name a directory", id));
    }
    std::lock_guard lock(v_->mu());
    State& state = v_->state();
    if (state.volumes().contains(id)) {
      return grpc::Status::OK;
    }
    int64_t size = v_->config().default_volume_size;
    if (state.Allocated() + size > v_->config().capacity) {
      return StatusOf(StatusCode::RESOURCE_EXHAUSTED, "no capacity left for an inline volume");
    }
    std::string dir = state.VolumeDir(id);
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) {
      return StatusOf(StatusCode::INTERNAL, fmt::format("creating {}: {}", dir, ec.message()));
    }
    ::chmod(dir.c_str(), 0777);
    VolumeRecord record;
    record.id = id;
    record.capacity = size;
    record.ephemeral = true;
    record.sequence = state.NextSequence();
    state.volumes()[id] = record;
    return v_->Persist();
  }

  std::shared_ptr<Volumes> v_;
};

}  // namespace

std::unique_ptr<::csi::v1::Node::Service> NewNodeService(std::shared_ptr<Volumes> volumes) {
  return std::make_unique<NodeService>(std::move(volumes));
}

}  // namespace capstan::csi::hostpath

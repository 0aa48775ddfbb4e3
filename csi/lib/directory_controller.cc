// The Controller service of the directory-volume drivers: create, clone, expand and delete
// volume directories through the backend, snapshot them by copy, and report capacity.
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <vector>

#include "csi/lib/directory_driver.h"
#include "csi/lib/validate.h"

namespace capstan::csi {
namespace {

using ::csi::v1::ControllerServiceCapability;
using grpc::StatusCode;

grpc::Status Internal(const Error& e) { return StatusOf(StatusCode::INTERNAL, e.message()); }

bool WantsBlock(const google::protobuf::RepeatedPtrField<::csi::v1::VolumeCapability>& caps) {
  for (const auto& c : caps) {
    if (c.has_block()) {
      return true;
    }
  }
  return false;
}

// A page of `items` (already in creation order) from a token that is the index to start at.
template <typename T>
grpc::Status Page(const std::vector<T>& items, int32_t max_entries, const std::string& token,
                  size_t* begin, size_t* end, std::string* next) {
  if (max_entries < 0) {
    return InvalidArgument("max_entries cannot be negative");
  }
  size_t start = 0;
  if (!token.empty()) {
    try {
      size_t used = 0;
      unsigned long parsed = std::stoul(token, &used);
      if (used != token.size() || parsed > items.size()) {
        throw std::out_of_range(token);
      }
      start = parsed;
    } catch (const std::exception&) {
      return StatusOf(StatusCode::ABORTED, fmt::format("starting_token {} is not valid", token));
    }
  }
  size_t stop = items.size();
  if (max_entries > 0 && start + static_cast<size_t>(max_entries) < stop) {
    stop = start + max_entries;
    *next = std::to_string(stop);
  }
  *begin = start;
  *end = stop;
  return grpc::Status::OK;
}

class ControllerService final : public ::csi::v1::Controller::Service {
 public:
  explicit ControllerService(std::shared_ptr<Volumes> v) : v_(std::move(v)) {}

  grpc::Status ControllerGetCapabilities(
      grpc::ServerContext*, const ::csi::v1::ControllerGetCapabilitiesRequest*,
      ::csi::v1::ControllerGetCapabilitiesResponse* out) override {
    for (auto type : {ControllerServiceCapability::RPC::CREATE_DELETE_VOLUME,
                      ControllerServiceCapability::RPC::LIST_VOLUMES,
                      ControllerServiceCapability::RPC::GET_CAPACITY,
                      ControllerServiceCapability::RPC::CREATE_DELETE_SNAPSHOT,
                      ControllerServiceCapability::RPC::LIST_SNAPSHOTS,
                      ControllerServiceCapability::RPC::CLONE_VOLUME,
                      ControllerServiceCapability::RPC::EXPAND_VOLUME,
                      ControllerServiceCapability::RPC::VOLUME_CONDITION,
                      ControllerServiceCapability::RPC::GET_VOLUME,
                      ControllerServiceCapability::RPC::SINGLE_NODE_MULTI_WRITER,
                      ControllerServiceCapability::RPC::PUBLISH_UNPUBLISH_VOLUME,
                      ControllerServiceCapability::RPC::PUBLISH_READONLY,
                      ControllerServiceCapability::RPC::LIST_VOLUMES_PUBLISHED_NODES}) {
      out->add_capabilities()->mutable_rpc()->set_type(type);
    }
    return grpc::Status::OK;
  }

  grpc::Status CreateVolume(grpc::ServerContext*, const ::csi::v1::CreateVolumeRequest* req,
                            ::csi::v1::CreateVolumeResponse* out) override {
    if (auto st = Require(req->name(), "name"); !st.ok()) return st;
    if (auto st = CheckCapabilities(req->volume_capabilities()); !st.ok()) return st;
    if (WantsBlock(req->volume_capabilities())) {
      return InvalidArgument("block volumes are not supported by this driver");
    }
    if (req->has_accessibility_requirements() && !Reachable(req->accessibility_requirements())) {
      return StatusOf(StatusCode::RESOURCE_EXHAUSTED,
                      fmt::format("this driver provisions on node {} only", v_->config().node_id));
    }
    auto guard = v_->locks().TryLock("name/" + req->name());
    if (!guard) return Busy(req->name());

    int64_t size = 0;
    if (auto st = SizeFor(req->capacity_range(), v_->config().default_volume_size,
                          v_->config().capacity, &size);
        !st.ok()) {
      return st;
    }
    std::string want_snapshot, want_volume;
    if (req->has_volume_content_source()) {
      want_snapshot = req->volume_content_source().snapshot().snapshot_id();
      want_volume = req->volume_content_source().volume().volume_id();
    }
    // The volume's place is decided before the name is judged taken: a repeated request
    // must name the same place (the backend's parameters) to get the same volume.
    VolumeRecord record;
    record.name = req->name();
    if (auto st = v_->backend().Place(*req, &record); !st.ok()) return st;
    std::optional<SnapshotRecord> from_snapshot;
    std::optional<VolumeRecord> from_volume;
    {
      std::lock_guard lock(v_->mu());
      State& state = v_->state();
      if (const VolumeRecord* existing = state.VolumeByName(req->name())) {
        const auto& range = req->capacity_range();
        bool fits = existing->capacity >= range.required_bytes() &&
                    (range.limit_bytes() == 0 || existing->capacity <= range.limit_bytes());
        if (!fits || existing->source_snapshot != want_snapshot ||
            existing->source_volume != want_volume) {
          return StatusOf(StatusCode::ALREADY_EXISTS,
                          fmt::format("volume {} exists with another size or source", req->name()));
        }
        Describe(*existing, out->mutable_volume());
        return grpc::Status::OK;
      }
      if (!want_snapshot.empty()) {
        auto it = state.snapshots().find(want_snapshot);
        if (it == state.snapshots().end()) {
          return NotFound(fmt::format("snapshot {} not found", want_snapshot));
        }
        if (it->second.size > size) {
          return StatusOf(StatusCode::OUT_OF_RANGE,
                          fmt::format("snapshot {} ({} bytes) does not fit in {} bytes",
                                      want_snapshot, it->second.size, size));
        }
        from_snapshot = it->second;
      } else if (!want_volume.empty()) {
        auto it = state.volumes().find(want_volume);
        if (it == state.volumes().end()) {
          return NotFound(fmt::format("volume {} not found", want_volume));
        }
        if (it->second.capacity > size) {
          return StatusOf(StatusCode::OUT_OF_RANGE,
                          fmt::format("volume {} ({} bytes) does not fit in {} bytes", want_volume,
                                      it->second.capacity, size));
        }
        from_volume = it->second;
      }
      if (state.Allocated() + size > v_->config().capacity) {
        return StatusOf(StatusCode::RESOURCE_EXHAUSTED,
                        fmt::format("{} bytes asked, {} left", size,
                                    v_->config().capacity - state.Allocated()));
      }
    }

    if (record.id.empty()) record.id = NewId("vol-");
    record.capacity = size;
    record.source_snapshot = want_snapshot;
    record.source_volume = want_volume;
    Status made = from_snapshot ? v_->backend().Restore(*from_snapshot, record)
                  : from_volume ? v_->backend().Clone(*from_volume, record)
                                : v_->backend().Create(record);
    if (!made) {
      (void)v_->backend().Remove(record);
      return Internal(made.error());
    }

    std::lock_guard lock(v_->mu());
    // Checked again: another name may have taken the room while this one was being made.
    if (v_->state().Allocated() + size > v_->config().capacity) {
      (void)v_->backend().Remove(record);
      return StatusOf(StatusCode::RESOURCE_EXHAUSTED,
                      fmt::format("{} bytes asked, {} left", size,
                                  v_->config().capacity - v_->state().Allocated()));
    }
    record.sequence = v_->state().NextSequence();
    v_->state().volumes()[record.id] = record;
    if (auto st = v_->Persist(); !st.ok()) {
      v_->state().volumes().erase(record.id);
      (void)v_->backend().Remove(record);
      return st;
    }
    Describe(record, out->mutable_volume());
    return grpc::Status::OK;
  }

  grpc::Status DeleteVolume(grpc::ServerContext*, const ::csi::v1::DeleteVolumeRequest* req,
                            ::csi::v1::DeleteVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    VolumeRecord record;
    {
      std::lock_guard lock(v_->mu());
      auto it = v_->state().volumes().find(req->volume_id());
      if (it == v_->state().volumes().end()) {
        return grpc::Status::OK;  // already gone: deletion is idempotent
      }
      if (!it->second.published.empty()) {
        return StatusOf(StatusCode::FAILED_PRECONDITION,
                        fmt::format("volume {} is still published at {}", req->volume_id(),
                                    *it->second.published.begin()));
      }
      record = it->second;
    }
    // The volume's own lock is held: removing (a slow walk of an NFS share) need not stop
    // every other call.
    if (auto removed = v_->backend().Remove(record); !removed) {
      return Internal(removed.error());
    }
    std::lock_guard lock(v_->mu());
    v_->state().volumes().erase(record.id);
    return v_->Persist();
  }

  // Attaching is bookkeeping for a directory on this node: it checks that the node is this
  // one and that a single-node volume is not attached elsewhere, and records the node.
  grpc::Status ControllerPublishVolume(grpc::ServerContext*,
                                       const ::csi::v1::ControllerPublishVolumeRequest* req,
                                       ::csi::v1::ControllerPublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = Require(req->node_id(), "node_id"); !st.ok()) return st;
    if (!req->has_volume_capability()) return InvalidArgument("volume_capability is required");
    if (auto st = CheckCapability(req->volume_capability()); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    std::lock_guard lock(v_->mu());
    auto it = v_->state().volumes().find(req->volume_id());
    if (it == v_->state().volumes().end()) {
      return NotFound(fmt::format("volume {} not found", req->volume_id()));
    }
    if (req->node_id() != v_->config().node_id) {
      return NotFound(fmt::format("node {} not found: this driver serves node {}", req->node_id(),
                                  v_->config().node_id));
    }
    auto& attached = it->second.attached;
    if (auto prev = attached.find(req->node_id()); prev != attached.end()) {
      if (prev->second != req->readonly()) {
        return StatusOf(StatusCode::ALREADY_EXISTS,
                        fmt::format("volume {} is attached to {} with another read-only flag",
                                    req->volume_id(), req->node_id()));
      }
      return grpc::Status::OK;
    }
    attached[req->node_id()] = req->readonly();
    return v_->Persist();
  }

  grpc::Status ControllerUnpublishVolume(grpc::ServerContext*,
                                         const ::csi::v1::ControllerUnpublishVolumeRequest* req,
                                         ::csi::v1::ControllerUnpublishVolumeResponse*) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    std::lock_guard lock(v_->mu());
    auto it = v_->state().volumes().find(req->volume_id());
    if (it == v_->state().volumes().end()) {
      return grpc::Status::OK;  // a volume that is gone is attached nowhere
    }
    size_t removed = 0;
    if (req->node_id().empty()) {
      removed = it->second.attached.size();
      it->second.attached.clear();
    } else {
      removed = it->second.attached.erase(req->node_id());
    }
    return removed == 0 ? grpc::Status::OK : v_->Persist();
  }

  grpc::Status ValidateVolumeCapabilities(
      grpc::ServerContext*, const ::csi::v1::ValidateVolumeCapabilitiesRequest* req,
      ::csi::v1::ValidateVolumeCapabilitiesResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (auto st = CheckCapabilities(req->volume_capabilities()); !st.ok()) return st;
    {
      std::lock_guard lock(v_->mu());
      if (!v_->state().volumes().contains(req->volume_id())) {
        return NotFound(fmt::format("volume {} not found", req->volume_id()));
      }
    }
    if (WantsBlock(req->volume_capabilities())) {
      out->set_message("block volumes are not supported by this driver");
      return grpc::Status::OK;
    }
    auto* confirmed = out->mutable_confirmed();
    *confirmed->mutable_volume_capabilities() = req->volume_capabilities();
    *confirmed->mutable_volume_context() = req->volume_context();
    *confirmed->mutable_parameters() = req->parameters();
    return grpc::Status::OK;
  }

  grpc::Status ListVolumes(grpc::ServerContext*, const ::csi::v1::ListVolumesRequest* req,
                           ::csi::v1::ListVolumesResponse* out) override {
    // Copied out, so the backend's health checks (NFS round trips) run without the lock.
    std::vector<VolumeRecord> all;
    {
      std::lock_guard lock(v_->mu());
      for (const auto& [id, v] : v_->state().volumes()) all.push_back(v);
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    size_t begin = 0, end = 0;
    std::string next;
    if (auto st = Page(all, req->max_entries(), req->starting_token(), &begin, &end, &next);
        !st.ok()) {
      return st;
    }
    for (size_t i = begin; i < end; ++i) {
      auto* entry = out->add_entries();
      Describe(all[i], entry->mutable_volume());
      for (const auto& [node, read_only] : all[i].attached) {
        entry->mutable_status()->add_published_node_ids(node);
      }
      SetCondition(all[i], entry->mutable_status()->mutable_volume_condition());
    }
    out->set_next_token(next);
    return grpc::Status::OK;
  }

  grpc::Status ControllerGetVolume(grpc::ServerContext*,
                                   const ::csi::v1::ControllerGetVolumeRequest* req,
                                   ::csi::v1::ControllerGetVolumeResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    VolumeRecord record;
    {
      std::lock_guard lock(v_->mu());
      auto it = v_->state().volumes().find(req->volume_id());
      if (it == v_->state().volumes().end()) {
        return NotFound(fmt::format("volume {} not found", req->volume_id()));
      }
      record = it->second;
    }
    Describe(record, out->mutable_volume());
    for (const auto& [node, read_only] : record.attached) {
      out->mutable_status()->add_published_node_ids(node);
    }
    SetCondition(record, out->mutable_status()->mutable_volume_condition());
    return grpc::Status::OK;
  }

  grpc::Status GetCapacity(grpc::ServerContext*, const ::csi::v1::GetCapacityRequest* req,
                           ::csi::v1::GetCapacityResponse* out) override {
    if (WantsBlock(req->volume_capabilities())) {
      return grpc::Status::OK;  // none for a kind of volume this driver cannot make
    }
    if (req->has_accessible_topology() && !v_->config().topology_key.empty()) {
      const auto& seg = req->accessible_topology().segments();
      auto it = seg.find(v_->config().topology_key);
      if (it != seg.end() && it->second != v_->config().node_id) {
        return grpc::Status::OK;
      }
    }
    std::lock_guard lock(v_->mu());
    int64_t left = std::max<int64_t>(0, v_->config().capacity - v_->state().Allocated());
    out->set_available_capacity(left);
    out->mutable_maximum_volume_size()->set_value(left);
    return grpc::Status::OK;
  }

  grpc::Status CreateSnapshot(grpc::ServerContext*, const ::csi::v1::CreateSnapshotRequest* req,
                              ::csi::v1::CreateSnapshotResponse* out) override {
    if (auto st = Require(req->name(), "name"); !st.ok()) return st;
    if (auto st = Require(req->source_volume_id(), "source_volume_id"); !st.ok()) return st;
    auto guard = v_->locks().TryLock("snapshot/" + req->name());
    if (!guard) return Busy(req->name());
    SnapshotRecord record;
    VolumeRecord source;
    {
      std::lock_guard lock(v_->mu());
      State& state = v_->state();
      if (const SnapshotRecord* existing = state.SnapshotByName(req->name())) {
        if (existing->source_volume != req->source_volume_id()) {
          return StatusOf(StatusCode::ALREADY_EXISTS,
                          fmt::format("snapshot {} exists for another volume", req->name()));
        }
        DescribeSnapshot(*existing, out->mutable_snapshot());
        return grpc::Status::OK;
      }
      auto src = state.volumes().find(req->source_volume_id());
      if (src == state.volumes().end()) {
        return NotFound(fmt::format("volume {} not found", req->source_volume_id()));
      }
      record.size = src->second.capacity;
      source = src->second;
    }
    record.id = NewId("snap-");
    record.name = req->name();
    record.source_volume = req->source_volume_id();
    record.created_unix_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    if (auto taken = v_->backend().TakeSnapshot(source, &record); !taken) {
      (void)v_->backend().RemoveSnapshot(record);
      return Internal(taken.error());
    }
    std::lock_guard lock(v_->mu());
    record.sequence = v_->state().NextSequence();
    v_->state().snapshots()[record.id] = record;
    if (auto st = v_->Persist(); !st.ok()) {
      v_->state().snapshots().erase(record.id);
      return st;
    }
    DescribeSnapshot(record, out->mutable_snapshot());
    return grpc::Status::OK;
  }

  grpc::Status DeleteSnapshot(grpc::ServerContext*, const ::csi::v1::DeleteSnapshotRequest* req,
                              ::csi::v1::DeleteSnapshotResponse*) override {
    if (auto st = Require(req->snapshot_id(), "snapshot_id"); !st.ok()) return st;
    auto guard = v_->locks().TryLock(req->snapshot_id());
    if (!guard) return Busy(req->snapshot_id());
    std::lock_guard lock(v_->mu());
    auto it = v_->state().snapshots().find(req->snapshot_id());
    if (it == v_->state().snapshots().end()) {
      return grpc::Status::OK;
    }
    if (auto removed = v_->backend().RemoveSnapshot(it->second); !removed) {
      return Internal(removed.error());
    }
    v_->state().snapshots().erase(it);
    return v_->Persist();
  }

  grpc::Status ListSnapshots(grpc::ServerContext*, const ::csi::v1::ListSnapshotsRequest* req,
                             ::csi::v1::ListSnapshotsResponse* out) override {
    std::lock_guard lock(v_->mu());
    std::vector<const SnapshotRecord*> all;
    for (const auto& [id, s] : v_->state().snapshots()) {
      if ((req->snapshot_id().empty() || id == req->snapshot_id()) &&
          (req->source_volume_id().empty() || s.source_volume == req->source_volume_id())) {
        all.push_back(&s);
      }
    }
    std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->sequence < b->sequence; });
    size_t begin = 0, end = 0;
    std::string next;
    if (auto st = Page(all, req->max_entries(), req->starting_token(), &begin, &end, &next);
        !st.ok()) {
      return st;
    }
    for (size_t i = begin; i < end; ++i) {
      DescribeSnapshot(*all[i], out->add_entries()->mutable_snapshot());
    }
    out->set_next_token(next);
    return grpc::Status::OK;
  }

  grpc::Status ControllerExpandVolume(grpc::ServerContext*,
                                      const ::csi::v1::ControllerExpandVolumeRequest* req,
                                      ::csi::v1::ControllerExpandVolumeResponse* out) override {
    if (auto st = Require(req->volume_id(), "volume_id"); !st.ok()) return st;
    if (!req->has_capacity_range()) {
      return InvalidArgument("capacity_range is required");
    }
    auto guard = v_->locks().TryLock(req->volume_id());
    if (!guard) return Busy(req->volume_id());
    std::lock_guard lock(v_->mu());
    auto it = v_->state().volumes().find(req->volume_id());
    if (it == v_->state().volumes().end()) {
      return NotFound(fmt::format("volume {} not found", req->volume_id()));
    }
    int64_t size = 0;
    if (auto st = SizeFor(req->capacity_range(), it->second.capacity, v_->config().capacity, &size);
        !st.ok()) {
      return st;
    }
    int64_t old = it->second.capacity;
    if (size > old) {
      if (v_->state().Allocated() - old + size > v_->config().capacity) {
        return StatusOf(
            StatusCode::RESOURCE_EXHAUSTED,
            fmt::format("growing {} to {} bytes overruns the capacity", req->volume_id(), size));
      }
      it->second.capacity = size;
      if (auto st = v_->Persist(); !st.ok()) {
        it->second.capacity = old;
        return st;
      }
    }
    out->set_capacity_bytes(it->second.capacity);
    out->set_node_expansion_required(false);  // a directory has nothing to grow on the node
    return grpc::Status::OK;
  }

 private:
  bool Reachable(const ::csi::v1::TopologyRequirement& req) const {
    const std::string& key = v_->config().topology_key;
    if (key.empty() || (req.requisite().empty() && req.preferred().empty())) {
      return true;
    }
    auto ours = [&](const ::csi::v1::Topology& t) {
      auto it = t.segments().find(key);
      return it == t.segments().end() || it->second == v_->config().node_id;
    };
    for (const auto& t : req.requisite()) {
      if (ours(t)) return true;
    }
    for (const auto& t : req.preferred()) {
      if (ours(t)) return true;
    }
    return false;
  }

  void Describe(const VolumeRecord& v, ::csi::v1::Volume* out) const {
    out->set_volume_id(v.id);
    out->set_capacity_bytes(v.capacity);
    if (!v.source_snapshot.empty()) {
      out->mutable_content_source()->mutable_snapshot()->set_snapshot_id(v.source_snapshot);
    } else if (!v.source_volume.empty()) {
      out->mutable_content_source()->mutable_volume()->set_volume_id(v.source_volume);
    }
    for (const auto& [k, val] : v.context) (*out->mutable_volume_context())[k] = val;
    if (!v_->config().topology_key.empty()) v_->SetTopology(out->add_accessible_topology());
  }

  void DescribeSnapshot(const SnapshotRecord& s, ::csi::v1::Snapshot* out) const {
    out->set_snapshot_id(s.id);
    out->set_source_volume_id(s.source_volume);
    out->set_size_bytes(s.size);
    out->mutable_creation_time()->set_seconds(s.created_unix_nanos / 1000000000);
    out->mutable_creation_time()->set_nanos(
        static_cast<int32_t>(s.created_unix_nanos % 1000000000));
    out->set_ready_to_use(true);
  }

  void SetCondition(const VolumeRecord& v, ::csi::v1::VolumeCondition* out) const {
    if (!v_->backend().Healthy(v)) {
      out->set_abnormal(true);
      out->set_message("the volume's directory is missing");
    } else {
      out->set_message("healthy");
    }
  }

  std::shared_ptr<Volumes> v_;
};

}  // namespace

Result<std::shared_ptr<Volumes>> Volumes::Open(DriverConfig config,
                                               std::unique_ptr<DirectoryBackend> backend) {
  auto state = State::Load(config.state_dir);
  if (!state) return std::unexpected(state.error());
  auto volumes = std::make_shared<Volumes>();
  volumes->config_ = std::move(config);
  volumes->backend_ = std::move(backend);
  volumes->state_ = std::move(*state);
  return volumes;
}

void Volumes::SetTopology(::csi::v1::Topology* out) const {
  if (!config_.topology_key.empty())
    (*out->mutable_segments())[config_.topology_key] = config_.node_id;
}

grpc::Status Volumes::Persist() {
  if (auto st = state_.Save(); !st)
    return grpc::Status(grpc::StatusCode::INTERNAL, st.error().message());
  return grpc::Status::OK;
}

std::unique_ptr<::csi::v1::Controller::Service> NewDirectoryController(
    std::shared_ptr<Volumes> volumes) {
  return std::make_unique<ControllerService>(std::move(volumes));
}

}  // namespace capstan::csi

#pragma once
// The Controller side every capstan driver of directory volumes shares (capstan-csi-hostpath
// on this node's disk, capstan-csi-nfs on NFS shares): volumes are directories a backend
// makes, copies and removes; this core keeps the state (names, sizes, sources, where each
// lives), answers CreateVolume idempotently by name, accounts capacity, pages ListVolumes and
// ListSnapshots, and checks every request with the spec's codes.

#include <memory>
#include <mutex>
#include <string>

#include "api/csi/v1/csi.grpc.pb.h"
#include "csi/lib/keyed_locks.h"
#include "csi/lib/volume_state.h"

namespace capstan::csi {

struct DriverConfig {
  std::string state_dir;     // state.json (and, for local volumes, the volumes themselves)
  std::string node_id;       // this node's name
  std::string topology_key;  // "" : volumes are reachable from every node
  int64_t capacity = 0;      // bytes all volumes together may be given
  int64_t default_volume_size = 1LL << 30;
};

// Where volumes and snapshots really are. Calls come with the volume's lock held.
class DirectoryBackend {
 public:
  virtual ~DirectoryBackend() = default;
  // Decides from CreateVolume's parameters where the volume goes: fills `rec.location` and
  // the `rec.context` the CO gets. INVALID_ARGUMENT for parameters the backend does not know.
  virtual grpc::Status Place(const ::csi::v1::CreateVolumeRequest& req, VolumeRecord* rec) = 0;
  virtual Status Create(const VolumeRecord& rec) = 0;  // an empty directory
  virtual Status Clone(const VolumeRecord& from, const VolumeRecord& to) = 0;
  virtual Status Remove(const VolumeRecord& rec) = 0;
  // Copies `from`; fills `snap->location`.
  virtual Status TakeSnapshot(const VolumeRecord& from, SnapshotRecord* snap) = 0;
  virtual Status Restore(const SnapshotRecord& snap, const VolumeRecord& to) = 0;
  virtual Status RemoveSnapshot(const SnapshotRecord& snap) = 0;
  // False when the volume's directory is gone (ListVolumes' condition).
  virtual bool Healthy(const VolumeRecord& rec) = 0;
};

// The volumes and snapshots, shared by the Controller and Node services.
class Volumes {
 public:
  static Result<std::shared_ptr<Volumes>> Open(DriverConfig config,
                                               std::unique_ptr<DirectoryBackend> backend);

  const DriverConfig& config() const { return config_; }
  DirectoryBackend& backend() { return *backend_; }
  std::mutex& mu() { return mu_; }
  State& state() { return state_; }
  KeyedLocks& locks() { return locks_; }
  // This node's topology segment (none without a topology key).
  void SetTopology(::csi::v1::Topology* out) const;
  // Saves the state; a failure to persist is an INTERNAL error for the call that changed it.
  grpc::Status Persist();

 private:
  DriverConfig config_;
  std::unique_ptr<DirectoryBackend> backend_;
  std::mutex mu_;  // guards state_
  State state_;
  KeyedLocks locks_;
};

std::unique_ptr<::csi::v1::Controller::Service> NewDirectoryController(
    std::shared_ptr<Volumes> volumes);

}  // namespace capstan::csi

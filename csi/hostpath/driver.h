#pragma once
// capstan-csi-hostpath: volumes as directories under a root on this node.
//
// Capacity: every volume is given the bytes it asked for out of `capacity`, and a volume
// that would overrun it is refused (RESOURCE_EXHAUSTED); usage inside a volume is tracked
// (NodeGetVolumeStats walks it), not enforced, as most filesystems here have no project quota.
// Topology: volumes live on this node only (topology.hostpath.csi/node). Snapshots and clones
// are copies of the directory. Mount volumes only: a block capability is refused.

#include <memory>
#include <mutex>
#include <string>

#include "api/csi/v1/csi.grpc.pb.h"
#include "csi/hostpath/state.h"
#include "csi/lib/keyed_locks.h"

namespace capstan::csi::hostpath {

inline constexpr const char* kTopologyKey = "topology.hostpath.csi/node";

struct DriverConfig {
  std::string root;      // volumes, snapshots and state.json live here
  std::string node_id;   // this node's name
  int64_t capacity = 0;  // bytes all volumes together may be given
  int64_t default_volume_size = 1LL << 30;
};

// The volumes and snapshots, shared by the Controller and Node services.
class Volumes {
 public:
  static Result<std::shared_ptr<Volumes>> Open(DriverConfig config);

  const DriverConfig& config() const { return config_; }
  std::mutex& mu() { return mu_; }
  State& state() { return state_; }
  KeyedLocks& locks() { return locks_; }
  // The topology segment of this node.
  void SetTopology(::csi::v1::Topology* out) const;
  // Saves the state; a failure to persist is an INTERNAL error for the call that changed it.
  grpc::Status Persist();

 private:
  DriverConfig config_;
  std::mutex mu_;  // guards state_
  State state_;
  KeyedLocks locks_;
};

std::unique_ptr<::csi::v1::Controller::Service> NewControllerService(
    std::shared_ptr<Volumes> volumes);
std::unique_ptr<::csi::v1::Node::Service> NewNodeService(std::shared_ptr<Volumes> volumes);

// Bytes used by the files under `dir` (blocks, as du counts them).
int64_t DiskUsage(const std::string& dir);

}  // namespace capstan::csi::hostpath

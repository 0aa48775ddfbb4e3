#pragma once
// capstan-csi-hostpath: volumes as directories under a root on this node.
//
// Capacity: every volume is given the bytes it asked for out of `capacity`, and a volume
// that would overrun it is refused (RESOURCE_EXHAUSTED); usage inside a volume is tracked
// (NodeGetVolumeStats walks it), not enforced, as most filesystems here have no project quota.
// Topology: volumes live on this node only (topology.hostpath.csi/node). Snapshots and clones
// are copies of the directory. Mount volumes only: a block capability is refused.
// The Controller is the shared directory-volume core (csi/lib/directory_driver.h) over a
// backend of local directories.

#include <memory>
#include <string>

#include "api/csi/v1/csi.grpc.pb.h"
#include "csi/lib/directory_driver.h"

namespace capstan::csi::hostpath {

inline constexpr const char* kTopologyKey = "topology.hostpath.csi/node";

// The driver's volumes under `root` (volumes/, snapshots/, state.json).
Result<std::shared_ptr<Volumes>> OpenVolumes(const std::string& root, const std::string& node_id,
                                             int64_t capacity,
                                             int64_t default_volume_size = 1LL << 30);

std::unique_ptr<::csi::v1::Node::Service> NewNodeService(std::shared_ptr<Volumes> volumes);

// Bytes used by the files under `dir` (blocks, as du counts them).
int64_t DiskUsage(const std::string& dir);

}  // namespace capstan::csi::hostpath

#pragma once
// capstan-csi-nfs: volumes as subdirectories of NFS shares, as csi-driver-nfs makes them.
//
// StorageClass parameters: `server`, `share` (required), `subDir` (default: the volume's
// name; ${pvc.metadata.name}, ${pvc.metadata.namespace} and ${pv.metadata.name} are filled
// in), `mountPermissions` (octal; the directory's mode, 0777 when unset), `onDelete`
// (delete, retain or archive: renamed archived-<dir>). Mount options (`port=`, `vers=`)
// come from the class's mountOptions. The controller works on the share through libnfs,
// mounting nothing; snapshots and clones are copies (snapshots under .capstan-snapshots/ on
// the share). A node publishes with the kernel's NFS client where there is one, else with
// capstan-nfs-fuse (libnfs behind FUSE), which outlives the driver.

#include <memory>
#include <string>

#include "api/csi/v1/csi.grpc.pb.h"
#include "csi/lib/directory_driver.h"

namespace capstan::csi::nfs {

std::unique_ptr<DirectoryBackend> NewNfsBackend();

// Fills ${pvc.metadata.name}, ${pvc.metadata.namespace} and ${pv.metadata.name} from the
// provisioner's extra parameters; refuses what would leave the share ("..", absolute) or
// what stays unfilled.
Result<std::string> ExpandSubDir(const std::string& tmpl,
                                 const google::protobuf::Map<std::string, std::string>& params);

struct NodeOptions {
  std::string node_id;
  std::string fuse_helper;  // capstan-nfs-fuse
  std::string log_dir;      // where each FUSE helper's output goes
  bool kernel_nfs = false;  // mount with the kernel client (mount -t nfs)
};
std::unique_ptr<::csi::v1::Node::Service> NewNodeService(NodeOptions options);

// Whether this kernel has an NFS client (nfs or nfs4 in /proc/filesystems).
bool KernelHasNfs();

}  // namespace capstan::csi::nfs

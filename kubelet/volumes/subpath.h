#pragma once
// subPath mounts, made safe as upstream's kubelet makes them (CVE-2017-1002101): a subPath
// is a path chosen by whoever writes the pod, inside a volume whose contents a container
// may control (a hostPath, an emptyDir another container wrote). Joining the two as strings
// would let a symlink planted in the volume point the mount anywhere on the host. Instead
// the subPath is opened beneath the volume (openat2 RESOLVE_BENEATH: a symlink or ".." that
// leaves the volume fails), and the opened file itself is bind-mounted, through its fd, at
// <root>/pods/<uid>/volume-subpaths/<volume>/<container>/<index>. That path is what the
// runtime mounts into the container, so a symlink swapped in afterwards changes nothing.

#include <string>

#include "common/error.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {

struct SubPathRequest {
  std::string pod_uid;
  std::string volume_name;
  std::string volume_path;  // the volume's host directory
  std::string container_name;
  int mount_index = 0;  // the volumeMount's index in the container
  std::string sub_path;
};

// Opens (creating the directories when missing, as upstream does) the subPath beneath the
// volume and binds it at its volume-subpaths path, which it returns. Idempotent: a mount
// already there (a restarted container, a restarted kubelet) is reused.
Result<std::string> PrepareSubPath(const std::string& root_dir, const SubPathRequest& request,
                                   Mounter* mounter);

// Unmounts and removes <root>/pods/<uid>/volume-subpaths. Never removes anything
// recursively: a bind that will not unmount is an error, not a reason to delete what it
// shows.
Status CleanSubPaths(const std::string& root_dir, const std::string& pod_uid, Mounter* mounter);

}  // namespace capstan::kubelet::volumes

#pragma once
// VolumeManager: sets up every volume of a pod with the plugin that supports it before its
// containers start, and tears them down once the pod terminated. Thread-safe for different
// pods (pod workers serialise calls for one pod).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "kubelet/volumes/subpath.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {

class CsiVolumes;

class VolumeManager {
 public:
  // Plugins are tried in order; names must be unique. `mounter` makes subPath binds (null:
  // subPath mounts are refused).
  explicit VolumeManager(std::string root_dir, Mounter* mounter = nullptr);
  Status RegisterPlugin(std::unique_ptr<VolumePlugin> plugin);

  // Volume name -> host path, for every volume of the pod.
  Result<std::map<std::string, std::string>> MountPod(const api::k8s::Pod& pod);
  // Refreshes the volumes of a running pod whose content follows API objects.
  Status RemountPod(const api::k8s::Pod& pod);
  // Whether the pod has such volumes.
  bool HasRemountableVolumes(const api::k8s::Pod& pod) const;
  // A container's subPath mount, made safe (subpath.h); returns the host path to mount.
  Result<std::string> PrepareSubPath(const SubPathRequest& request);
  // Unbinds the pod's subPath mounts, then tears down every volume of the pod and removes its
  // directory under <root>/pods.
  Status UnmountPod(const api::k8s::Pod& pod);
  // For pods the kubelet no longer knows (deleted while it was down): tears down their CSI
  // volumes from what was recorded, unmounts the rest and removes their directories. Pods in
  // `keep` are left alone.
  Status CleanupOrphanedPods(const std::set<std::string>& keep, CsiVolumes* csi);

 private:
  Status RemovePodDir(const std::string& pod_uid);

  std::string root_dir_;
  Mounter* mounter_;
  std::vector<std::unique_ptr<VolumePlugin>> plugins_;
};

}  // namespace capstan::kubelet::volumes

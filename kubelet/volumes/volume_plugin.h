#pragma once
// VolumePlugin: one per volume source type (emptyDir, hostPath, configMap, secret,
// downwardAPI, projected; csi later). A plugin prepares a pod's volume on the host and says which
// host path containers mount; the VolumeManager picks the plugin and tears everything down when the
// pod is gone. Mounter is the kernel seam (tmpfs for Memory emptyDirs).

#include <memory>
#include <string>
#include <vector>

#include "api/k8s/pod.h"
#include "common/error.h"

namespace capstan::kubelet::volumes {

class Mounter {
 public:
  virtual ~Mounter() = default;
  virtual Status MountTmpfs(const std::string& target, const std::string& options) = 0;
  // A bind mount of `source` (a path, or /proc/self/fd/N for an opened file) at `target`.
  virtual Status BindMount(const std::string& source, const std::string& target) = 0;
  // Absent or not mounted is success.
  virtual Status Unmount(const std::string& target) = 0;
  virtual bool IsMountPoint(const std::string& path) const = 0;
};

// mount(2)/umount2(2) on the host; needs CAP_SYS_ADMIN.
std::unique_ptr<Mounter> NewSystemMounter();

class VolumePlugin {
 public:
  virtual ~VolumePlugin() = default;
  virtual std::string Name() const = 0;  // "kubernetes.io/empty-dir"
  virtual bool CanSupport(const api::k8s::Volume& v) const = 0;
  // Makes the volume ready; returns the host path to bind into containers. Idempotent.
  virtual Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) = 0;
  // Volumes whose content follows API objects (configMap, secret, ...): brings a volume
  // already set up up to date; a volume not set up (or torn down) is left alone.
  virtual bool RequiresRemount() const { return false; }
  virtual Status Remount(const api::k8s::Pod& /*pod*/, const api::k8s::Volume& /*v*/) {
    return Ok();
  }
  // Undoes SetUp. Idempotent; absent is success.
  virtual Status TearDown(const std::string& pod_uid, const std::string& volume_name) = 0;
};

// Where the kubelet keeps a pod's volumes: <root>/pods/<uid>/volumes/<plugin~escaped>/<name>.
std::string PodVolumeDir(const std::string& root_dir, const std::string& pod_uid,
                         const std::string& plugin_name, const std::string& volume_name);

std::unique_ptr<VolumePlugin> NewEmptyDirPlugin(std::string root_dir, Mounter* mounter);
std::unique_ptr<VolumePlugin> NewHostPathPlugin();

}  // namespace capstan::kubelet::volumes

#include "kubelet/volumes/volume_manager.h"

#include <filesystem>

#include "common/file.h"
#include "common/mount_table.h"
#include "kubelet/volumes/csi_volumes.h"

namespace capstan::kubelet::volumes {

VolumeManager::VolumeManager(std::string root_dir, Mounter* mounter)
    : root_dir_(std::move(root_dir)), mounter_(mounter) {}

Status VolumeManager::RegisterPlugin(std::unique_ptr<VolumePlugin> plugin) {
  for (const auto& p : plugins_) {
    if (p->Name() == plugin->Name()) {
      return Fail(Code::kAlreadyExists, "volume plugin {} registered twice", plugin->Name());
    }
  }
  plugins_.push_back(std::move(plugin));
  return Ok();
}

Result<std::map<std::string, std::string>> VolumeManager::MountPod(const api::k8s::Pod& pod) {
  std::map<std::string, std::string> paths;
  for (const auto& v : pod.spec.volumes) {
    VolumePlugin* plugin = nullptr;
    for (const auto& p : plugins_) {
      if (p->CanSupport(v)) {
        plugin = p.get();
        break;
      }
    }
    if (!plugin) {
      return Fail(Code::kUnimplemented, "volume {:?}: {} volumes are not supported yet", v.name,
                  v.unsupported_source.empty() ? "this kind of" : v.unsupported_source);
    }
    auto path = plugin->SetUp(pod, v);
    if (!path) {
      // Upstream's words, which `kubectl describe pod` shows in the FailedMount event.
      return Fail(path.error().code(), "MountVolume.SetUp failed for volume {:?} : {}", v.name,
                  path.error().message());
    }
    paths[v.name] = *path;
  }
  return paths;
}

Status VolumeManager::RemountPod(const api::k8s::Pod& pod) {
  Status first = Ok();
  for (const auto& v : pod.spec.volumes) {
    for (const auto& p : plugins_) {
      if (!p->CanSupport(v)) continue;
      if (p->RequiresRemount()) {
        auto st = p->Remount(pod, v);
        if (!st && first)
          first = Fail(st.error().code(), "volume {}: {}", v.name, st.error().message());
      }
      break;
    }
  }
  return first;
}

bool VolumeManager::HasRemountableVolumes(const api::k8s::Pod& pod) const {
  for (const auto& v : pod.spec.volumes) {
    for (const auto& p : plugins_) {
      if (p->CanSupport(v)) {
        if (p->RequiresRemount()) return true;
        break;
      }
    }
  }
  return false;
}

Result<std::string> VolumeManager::PrepareSubPath(const SubPathRequest& request) {
  return volumes::PrepareSubPath(root_dir_, request, mounter_);
}

Status VolumeManager::UnmountPod(const api::k8s::Pod& pod) {
  CAPSTAN_TRY_WRAP(CleanSubPaths(root_dir_, pod.metadata.uid, mounter_), "subPath mounts");
  for (const auto& v : pod.spec.volumes) {
    for (const auto& p : plugins_) {
      if (p->CanSupport(v)) {
        CAPSTAN_TRY_WRAP(p->TearDown(pod.metadata.uid, v.name), "volume {}", v.name);
        break;
      }
    }
  }
  return RemovePodDir(pod.metadata.uid);
}

// Never recursively removes through a mount: that would delete a volume's data.
Status VolumeManager::RemovePodDir(const std::string& pod_uid) {
  std::string dir = root_dir_ + "/pods/" + pod_uid;
  if (auto mounts = MountsUnder(dir); !mounts.empty()) {
    return Fail(Code::kFailedPrecondition, "{} is still mounted; not removing {}", mounts.front(),
                dir);
  }
  return RemoveAll(dir);
}

Status VolumeManager::CleanupOrphanedPods(const std::set<std::string>& keep, CsiVolumes* csi) {
  namespace fs = std::filesystem;
  Status first = Ok();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_dir_ + "/pods", ec)) {
    std::string uid = entry.path().filename().string();
    if (keep.contains(uid)) continue;
    // What SetUp recorded tells how to undo it without the pod's spec: CSI volumes by their
    // vol_data.json; the rest are the kubelet's own binds and tmpfs mounts.
    Status st = csi ? csi->TearDown(uid, "") : Ok();
    if (st) st = CleanSubPaths(root_dir_, uid, mounter_);
    if (st && mounter_) {
      for (const auto& m : MountsUnder(entry.path().string())) {
        if (m.find("/volumes/kubernetes.io~csi/") != std::string::npos) continue;
        if (auto u = mounter_->Unmount(m); !u) {
          st = u;
          break;
        }
      }
    }
    if (st) st = RemovePodDir(uid);
    if (!st && first) first = Fail(st.error().code(), "pod {}: {}", uid, st.error().message());
  }
  return first;
}

}  // namespace capstan::kubelet::volumes

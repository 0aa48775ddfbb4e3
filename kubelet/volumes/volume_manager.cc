#include "kubelet/volumes/volume_manager.h"

#include "common/file.h"

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
  return RemoveAll(root_dir_ + "/pods/" + pod.metadata.uid);
}

}  // namespace capstan::kubelet::volumes

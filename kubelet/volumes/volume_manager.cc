#include "kubelet/volumes/volume_manager.h"

#include "common/file.h"

namespace capstan::kubelet::volumes {

VolumeManager::VolumeManager(std::string root_dir) : root_dir_(std::move(root_dir)) {}

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
    CAPSTAN_ASSIGN_OR_RETURN(std::string path, plugin->SetUp(pod, v));
    paths[v.name] = path;
  }
  return paths;
}

Status VolumeManager::UnmountPod(const api::k8s::Pod& pod) {
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

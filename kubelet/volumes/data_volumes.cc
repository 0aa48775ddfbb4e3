// The configMap, secret, downwardAPI and projected volume plugins: one class, told apart by
// the source they read and whether their directory is a tmpfs.
#include "kubelet/volumes/data_volumes.h"

#include <sys/stat.h>

#include <mutex>

#include "common/file.h"
#include "common/log.h"

namespace capstan::kubelet::volumes {
namespace {

const log::Logger kLog("kubelet");

using PayloadFn = std::function<Result<Payload>(const api::k8s::Pod&, const api::k8s::Volume&,
                                                const DataSources&)>;

class DataVolumePlugin : public VolumePlugin {
 public:
  DataVolumePlugin(std::string name, std::function<bool(const api::k8s::Volume&)> supports,
                   PayloadFn payload, bool tmpfs, std::string root_dir, Mounter* mounter,
                   const DataSources* sources)
      : name_(std::move(name)),
        supports_(std::move(supports)),
        payload_(std::move(payload)),
        tmpfs_(tmpfs),
        root_dir_(std::move(root_dir)),
        mounter_(mounter),
        sources_(sources) {}

  std::string Name() const override { return name_; }
  bool CanSupport(const api::k8s::Volume& v) const override { return supports_(v); }

  Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    std::string dir = PodVolumeDir(root_dir_, pod.metadata.uid, name_, v.name);
    // The payload first: a missing object fails the mount before anything is created.
    auto payload = payload_(pod, v, *sources_);
    if (!payload) {
      // A volume already set up keeps serving what it has while the API server is away or
      // the object is gone (as upstream): the pod's containers still get synced.
      if (PathExists(dir + "/..data")) {
        kLog.Warn("volume contents not refreshed",
                  {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                   {"volume", v.name},
                   {"error", payload.error().message()}});
        return dir;
      }
      return Fail(payload.error());
    }
    std::lock_guard lock(mu_);
    CAPSTAN_TRY(MkdirAll(dir, 0750));
    if (tmpfs_ && mounter_ && !mounter_->IsMountPoint(dir)) {
      CAPSTAN_TRY_WRAP(mounter_->MountTmpfs(dir, "mode=0755"), "volume {}", v.name);
    }
    ::chmod(dir.c_str(), 0755);  // containers running as any user read through it
    CAPSTAN_TRY(Write(pod, v, dir, *payload));
    return dir;
  }

  Status Remount(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    std::string dir = PodVolumeDir(root_dir_, pod.metadata.uid, name_, v.name);
    if (!PathExists(dir)) return Ok();  // never set up (or torn down): nothing to ask for
    CAPSTAN_ASSIGN_OR_RETURN(Payload payload, payload_(pod, v, *sources_));
    std::lock_guard lock(mu_);
    if (!PathExists(dir)) return Ok();  // torn down meanwhile: nothing to refresh
    return Write(pod, v, dir, payload);
  }

  bool RequiresRemount() const override { return true; }

  Status TearDown(const std::string& pod_uid, const std::string& volume_name) override {
    std::string dir = PodVolumeDir(root_dir_, pod_uid, name_, volume_name);
    std::lock_guard lock(mu_);
    if (mounter_ && mounter_->IsMountPoint(dir)) CAPSTAN_TRY(mounter_->Unmount(dir));
    return RemoveAll(dir);
  }

 private:
  Status Write(const api::k8s::Pod& pod, const api::k8s::Volume& v, const std::string& dir,
               const Payload& payload) {
    std::optional<gid_t> group;
    if (pod.spec.security_context && pod.spec.security_context->fs_group) {
      group = static_cast<gid_t>(*pod.spec.security_context->fs_group);
    }
    CAPSTAN_ASSIGN_OR_RETURN(bool changed, AtomicWriter(dir, group).Write(payload));
    if (changed) {
      kLog.Info("volume contents updated",
                {{"pod", pod.metadata.namespace_ + "/" + pod.metadata.name},
                 {"volume", v.name},
                 {"files", static_cast<int64_t>(payload.size())}});
    }
    return Ok();
  }

  std::string name_;
  std::function<bool(const api::k8s::Volume&)> supports_;
  PayloadFn payload_;
  bool tmpfs_;
  std::string root_dir_;
  Mounter* mounter_;
  const DataSources* sources_;
  std::mutex mu_;  // a refresh and a pod sync never write one volume at once
};

}  // namespace

std::unique_ptr<VolumePlugin> NewConfigMapPlugin(std::string root_dir, Mounter* mounter,
                                                 const DataSources* sources) {
  return std::make_unique<DataVolumePlugin>(
      "kubernetes.io/configmap", [](const api::k8s::Volume& v) { return v.config_map.has_value(); },
      [](const api::k8s::Pod& pod, const api::k8s::Volume& v, const DataSources& s) {
        return ConfigMapPayload(pod, *v.config_map, v.config_map->default_mode.value_or(0644), s);
      },
      false, std::move(root_dir), mounter, sources);
}

std::unique_ptr<VolumePlugin> NewSecretPlugin(std::string root_dir, Mounter* mounter,
                                              const DataSources* sources) {
  return std::make_unique<DataVolumePlugin>(
      "kubernetes.io/secret", [](const api::k8s::Volume& v) { return v.secret.has_value(); },
      [](const api::k8s::Pod& pod, const api::k8s::Volume& v, const DataSources& s) {
        return SecretPayload(pod, *v.secret, v.secret->default_mode.value_or(0644), s);
      },
      true, std::move(root_dir), mounter, sources);
}

std::unique_ptr<VolumePlugin> NewDownwardApiPlugin(std::string root_dir, Mounter* mounter,
                                                   const DataSources* sources) {
  return std::make_unique<DataVolumePlugin>(
      "kubernetes.io/downward-api",
      [](const api::k8s::Volume& v) { return v.downward_api.has_value(); },
      [](const api::k8s::Pod& pod, const api::k8s::Volume& v, const DataSources& s) {
        return DownwardApiPayload(pod, *v.downward_api, v.downward_api->default_mode.value_or(0644),
                                  s);
      },
      false, std::move(root_dir), mounter, sources);
}

std::unique_ptr<VolumePlugin> NewProjectedPlugin(std::string root_dir, Mounter* mounter,
                                                 const DataSources* sources) {
  return std::make_unique<DataVolumePlugin>(
      "kubernetes.io/projected", [](const api::k8s::Volume& v) { return v.projected.has_value(); },
      [](const api::k8s::Pod& pod, const api::k8s::Volume& v, const DataSources& s) {
        return ProjectedPayload(pod, *v.projected, s);
      },
      true, std::move(root_dir), mounter, sources);
}

}  // namespace capstan::kubelet::volumes

// emptyDir: a directory under the pod's volume dir, or a tmpfs (medium: Memory) limited to
// sizeLimit. With fsGroup the directory belongs to that group and is setgid, as upstream.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "common/log.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {
namespace {

const log::Logger kLog("kubelet");
constexpr char kPluginName[] = "kubernetes.io/empty-dir";

class EmptyDirPlugin : public VolumePlugin {
 public:
  EmptyDirPlugin(std::string root_dir, Mounter* mounter)
      : root_dir_(std::move(root_dir)), mounter_(mounter) {}

  std::string Name() const override { return kPluginName; }
  bool CanSupport(const api::k8s::Volume& v) const override { return v.empty_dir.has_value(); }

  Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    std::string dir = PodVolumeDir(root_dir_, pod.metadata.uid, kPluginName, v.name);
    CAPSTAN_TRY(MkdirAll(dir, 0750));
    if (v.empty_dir->medium == "Memory") {
      if (!mounter_) {
        return Fail(Code::kUnimplemented, "emptyDir {}: medium Memory needs a mounter", v.name);
      }
      if (!mounter_->IsMountPoint(dir)) {
        std::string opts = "mode=0777";
        if (v.empty_dir->size_limit && v.empty_dir->size_limit->Value() > 0) {
          opts += ",size=" + std::to_string(v.empty_dir->size_limit->Value());
        }
        CAPSTAN_TRY_WRAP(mounter_->MountTmpfs(dir, opts), "emptyDir {}", v.name);
      }
    } else if (!v.empty_dir->medium.empty()) {
      return Fail(Code::kInvalidArgument, "emptyDir {}: unsupported medium {:?}", v.name,
                  v.empty_dir->medium);
    }
    // World-writable like upstream, so containers running as any user can use it.
    ::chmod(dir.c_str(), 0777);
    if (pod.spec.security_context && pod.spec.security_context->fs_group) {
      auto gid = static_cast<gid_t>(*pod.spec.security_context->fs_group);
      if (::chown(dir.c_str(), static_cast<uid_t>(-1), gid) != 0) {
        kLog.Warn("cannot give emptyDir to fsGroup", {{"dir", dir}, {"errno", errno}});
      } else {
        ::chmod(dir.c_str(), 02777);
      }
    }
    return dir;
  }

  Status TearDown(const std::string& pod_uid, const std::string& volume_name) override {
    std::string dir = PodVolumeDir(root_dir_, pod_uid, kPluginName, volume_name);
    if (mounter_ && mounter_->IsMountPoint(dir)) {
      CAPSTAN_TRY(mounter_->Unmount(dir));
    }
    return RemoveAll(dir);
  }

 private:
  std::string root_dir_;
  Mounter* mounter_;
};

}  // namespace

std::string PodVolumeDir(const std::string& root_dir, const std::string& pod_uid,
                         const std::string& plugin_name, const std::string& volume_name) {
  std::string escaped = plugin_name;
  for (auto& ch : escaped) {
    if (ch == '/') {
      ch = '~';
    }
  }
  return root_dir + "/pods/" + pod_uid + "/volumes/" + escaped + "/" + volume_name;
}

std::unique_ptr<VolumePlugin> NewEmptyDirPlugin(std::string root_dir, Mounter* mounter) {
  return std::make_unique<EmptyDirPlugin>(std::move(root_dir), mounter);
}

}  // namespace capstan::kubelet::volumes

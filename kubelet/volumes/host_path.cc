// hostPath: the host's own path, after the check its `type` asks for (DirectoryOrCreate,
// Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice; "" checks nothing).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "kubelet/volumes/volume_plugin.h"

namespace capstan::kubelet::volumes {
namespace {

class HostPathPlugin : public VolumePlugin {
 public:
  std::string Name() const override { return "kubernetes.io/host-path"; }
  bool CanSupport(const api::k8s::Volume& v) const override { return v.host_path.has_value(); }

  Result<std::string> SetUp(const api::k8s::Pod& pod, const api::k8s::Volume& v) override {
    const std::string& path = v.host_path->path;
    if (path.empty() || path[0] != '/') {
      return Fail(Code::kInvalidArgument, "hostPath {}: path {:?} must be absolute", v.name, path);
    }
    std::string type = v.host_path->type.value_or("");
    struct stat st {};
    bool exists = ::stat(path.c_str(), &st) == 0;
    auto fail = [&](std::string_view what) {
      return Fail(Code::kFailedPrecondition, "hostPath type check failed: {} is not {}", path,
                  what);
    };
    if (type.empty()) {
      return path;
    }
    if (type == "DirectoryOrCreate") {
      if (!exists) {
        CAPSTAN_TRY(MkdirAll(path, 0755));
        return path;
      }
      return S_ISDIR(st.st_mode) ? Result<std::string>(path) : fail("a directory");
    }
    if (type == "FileOrCreate") {
      if (!exists) {
        int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
          return FailErrno("hostPath {}: creating {}", v.name, path);
        }
        if (fd >= 0) {
          ::close(fd);
        }
        return path;
      }
      return S_ISREG(st.st_mode) ? Result<std::string>(path) : fail("a file");
    }
    if (!exists) {
      return Fail(Code::kFailedPrecondition, "hostPath type check failed: {} does not exist", path);
    }
    if (type == "Directory")
      return S_ISDIR(st.st_mode) ? Result<std::string>(path) : fail("a directory");
    if (type == "File") return S_ISREG(st.st_mode) ? Result<std::string>(path) : fail("a file");
    if (type == "Socket")
      return S_ISSOCK(st.st_mode) ? Result<std::string>(path) : fail("a socket");
    if (type == "CharDevice")
      return S_ISCHR(st.st_mode) ? Result<std::string>(path) : fail("a character device");
    if (type == "BlockDevice")
      return S_ISBLK(st.st_mode) ? Result<std::string>(path) : fail("a block device");
    return Fail(Code::kInvalidArgument, "hostPath {}: unknown type {:?}", v.name, type);
  }

  Status TearDown(const std::string&, const std::string&) override { return Ok(); }
};

}  // namespace

std::unique_ptr<VolumePlugin> NewHostPathPlugin() { return std::make_unique<HostPathPlugin>(); }

}  // namespace capstan::kubelet::volumes

#include "kubelet/volumes/subpath.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/file.h"
#include "common/path_in_root.h"

namespace capstan::kubelet::volumes {
namespace {

std::string SubPathsDir(const std::string& root_dir, const std::string& pod_uid) {
  return root_dir + "/pods/" + pod_uid + "/volume-subpaths";
}

// Removes one entry without following or recursing into it.
Status RemoveOne(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Fail(Code::kInternal, "removing {}: {}", path.string(), ec.message());
  }
  return Ok();
}

}  // namespace

Result<std::string> PrepareSubPath(const std::string& root_dir, const SubPathRequest& r,
                                   Mounter* mounter) {
  if (!mounter) return Fail(Code::kUnimplemented, "subPath mounts need a mounter");
  if (r.sub_path.empty() || r.sub_path.front() == '/') {
    return Fail(Code::kInvalidArgument, "subPath {:?} must be a relative path", r.sub_path);
  }
  int volume_fd = ::open(r.volume_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (volume_fd < 0) return FailErrno("opening volume {}", r.volume_path);
  UniqueFd volume(volume_fd);

  auto opened = OpenInRoot(volume.get(), r.sub_path, O_PATH, 0, Resolve::kBeneath);
  if (!opened && opened.error().err_no() == ENOENT) {
    struct stat st {};
    mode_t mode = ::fstat(volume.get(), &st) == 0 ? (st.st_mode & 07777) : 0755;
    opened = MkdirAllInRoot(volume.get(), r.sub_path, mode, Resolve::kBeneath);
  }
  if (!opened) {
    if (opened.error().err_no() == EXDEV || opened.error().err_no() == ELOOP) {
      return Fail(Code::kPermissionDenied, "subPath {:?} leads outside volume {:?}", r.sub_path,
                  r.volume_name);
    }
    return Fail(opened.error().code(), "subPath {:?} of volume {:?}: {}", r.sub_path, r.volume_name,
                opened.error().message());
  }
  struct stat st {};
  if (::fstat(opened->get(), &st) != 0) return FailErrno("stat of subPath {}", r.sub_path);

  std::string dir = SubPathsDir(root_dir, r.pod_uid) + "/" + r.volume_name + "/" + r.container_name;
  std::string target = dir + "/" + std::to_string(r.mount_index);
  CAPSTAN_TRY(MkdirAll(dir, 0750));
  if (mounter->IsMountPoint(target)) return target;
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(target.c_str(), 0750) != 0 && errno != EEXIST) {
      return FailErrno("creating {}", target);
    }
  } else {
    int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) return FailErrno("creating {}", target);
    ::close(fd);
  }
  // The fd names exactly the file that was checked: mount(2) binds it, not a path that a
  // container could re-point in between.
  CAPSTAN_TRY_WRAP(mounter->BindMount(FdPath(opened->get()), target), "subPath {:?}", r.sub_path);
  return target;
}

Status CleanSubPaths(const std::string& root_dir, const std::string& pod_uid, Mounter* mounter) {
  std::filesystem::path base = SubPathsDir(root_dir, pod_uid);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(base, ec))) return Ok();
  for (const auto& volume : std::filesystem::directory_iterator(base, ec)) {
    for (const auto& container : std::filesystem::directory_iterator(volume.path(), ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(container.path(), ec)) {
        std::string path = entry.path().string();
        if (mounter) {
          CAPSTAN_TRY(mounter->Unmount(path));
          if (mounter->IsMountPoint(path)) {
            return Fail(Code::kFailedPrecondition, "subPath mount {} is still mounted", path);
          }
        }
        CAPSTAN_TRY(RemoveOne(entry.path()));
      }
      CAPSTAN_TRY(RemoveOne(container.path()));
    }
    CAPSTAN_TRY(RemoveOne(volume.path()));
  }
  return RemoveOne(base);
}

}  // namespace capstan::kubelet::volumes

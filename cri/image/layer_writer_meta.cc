// LayerWriter's metadata half: owners, modes, xattrs and times of extracted entries.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>

#include <archive.h>
#include <archive_entry.h>

#include "cri/image/layer_writer.h"

namespace capstan::cri::image {

Result<LayerWriter::Meta> LayerWriter::ReadMeta(archive_entry* e, std::string_view name) {
  Meta m;
  m.mode = archive_entry_perm(e) & 07777;
  m.uid = archive_entry_uid(e);
  m.gid = archive_entry_gid(e);
  if (m.uid < 0 || m.gid < 0 || m.uid > UINT32_MAX - 1 || m.gid > UINT32_MAX - 1) {
    return Fail(Code::kInvalidArgument, "layer entry \"{}\": owner {}:{} is out of range", name,
                m.uid, m.gid);
  }
  m.mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  m.atime = archive_entry_atime_is_set(e)
                ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                : m.mtime;
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    std::string_view n = xname;
    if (n.starts_with("trusted.overlay.") || n.starts_with("user.overlay.")) {
      log_.Warn("dropping overlay xattr from layer entry", {{"entry", name}, {"xattr", n}});
      continue;
    }
    m.xattrs.emplace_back(std::string(n), std::string(static_cast<const char*>(value), size));
  }
  return m;
}

Status LayerWriter::SetXattrs(int fd_or_parent, const std::string* name, const Meta& m,
                              std::string_view entry) {
  for (const auto& [key, value] : m.xattrs) {
    int rc;
    if (name == nullptr) {
      rc = ::fsetxattr(fd_or_parent, key.c_str(), value.data(), value.size(), 0);
    } else {
      // No fd can be opened on a symlink or device for writing: go through the parent's
      // magic link, which names the directory already resolved safely.
      std::string path = fmt::format("/proc/self/fd/{}/{}", fd_or_parent, *name);
      rc = ::lsetxattr(path.c_str(), key.c_str(), value.data(), value.size(), 0);
    }
    if (rc == 0) {
      continue;
    }
    int err = errno;
    // Filesystems without xattrs, and unprivileged unpacks of trusted./security. names,
    // lose the attribute rather than the image (containerd does the same).
    if (err == ENOTSUP || err == EOPNOTSUPP || (err == EPERM && ::geteuid() != 0)) {
      if (!warned_xattr_) {
        log_.Warn("cannot set xattr; dropping it",
                  {{"entry", entry}, {"xattr", key}, {"error", std::strerror(err)}});
        warned_xattr_ = true;
      }
      continue;
    }
    errno = err;
    return FailErrno("layer entry \"{}\": setting xattr {}", entry, key);
  }
  return Ok();
}

Status LayerWriter::ApplyFdMeta(int fd, const Meta& m, std::string_view entry) {
  if (opts_.chown && ::fchown(fd, static_cast<uid_t>(m.uid), static_cast<gid_t>(m.gid)) != 0) {
    return FailErrno("layer entry \"{}\": chown {}:{}", entry, m.uid, m.gid);
  }
  // After chown, which clears setuid/setgid.
  if (::fchmod(fd, m.mode) != 0) {
    return FailErrno("layer entry \"{}\": chmod {:o}", entry, m.mode);
  }
  CAPSTAN_TRY(SetXattrs(fd, nullptr, m, entry));
  struct timespec ts[2] = {m.atime, m.mtime};
  if (::futimens(fd, ts) != 0) {
    return FailErrno("layer entry \"{}\": setting times", entry);
  }
  return Ok();
}

Status LayerWriter::ApplyPathMeta(int parent, const std::string& name, const Meta& m,
                                  bool is_symlink, std::string_view entry) {
  if (opts_.chown && ::fchownat(parent, name.c_str(), static_cast<uid_t>(m.uid),
                                static_cast<gid_t>(m.gid), AT_SYMLINK_NOFOLLOW) != 0) {
    return FailErrno("layer entry \"{}\": chown {}:{}", entry, m.uid, m.gid);
  }
  // Symlink modes mean nothing on Linux; the name is a node this writer just created.
  if (!is_symlink && ::fchmodat(parent, name.c_str(), m.mode, 0) != 0) {
    return FailErrno("layer entry \"{}\": chmod {:o}", entry, m.mode);
  }
  CAPSTAN_TRY(SetXattrs(parent, &name, m, entry));
  struct timespec ts[2] = {m.atime, m.mtime};
  if (::utimensat(parent, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return FailErrno("layer entry \"{}\": setting times", entry);
  }
  return Ok();
}

}  // namespace capstan::cri::image

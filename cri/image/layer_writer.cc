#include "cri/image/layer_writer.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <archive.h>
#include <archive_entry.h>

namespace capstan::cri::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

template <typename... Args>
std::unexpected<Error> Refuse(std::string_view entry, fmt::format_string<Args...> f,
                              Args&&... args) {
  return Fail(Code::kInvalidArgument, "layer entry \"{}\": {}", entry,
              fmt::format(f, std::forward<Args>(args)...));
}

std::string Join(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      out.push_back('/');
    }
    out += comps[i];
  }
  return out;
}

// Names from pax headers are UTF-8; in the C locale the locale form may be unavailable.
const char* EntryString(const char* (*mbs)(archive_entry*), const char* (*utf8)(archive_entry*),
                        archive_entry* e) {
  const char* s = mbs(e);
  return s != nullptr ? s : utf8(e);
}

UniqueFd Dup(int fd) { return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); }

}  // namespace

Result<std::vector<std::string>> SplitEntryPath(std::string_view name) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string_view c =
        name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (c == "..") {
      return Refuse(name, "\"..\" path component would leave the layer directory");
    }
    if (!c.empty() && c != ".") {
      out.emplace_back(c);
    }
    if (slash == std::string_view::npos) {
      return out;
    }
    start = slash + 1;
  }
}

LayerWriter::LayerWriter(UniqueFd root, UnpackOptions opts)
    : root_(std::move(root)), opts_(std::move(opts)) {}

Result<UniqueFd> LayerWriter::OpenDir(const std::vector<std::string>& comps, size_t n, bool create,
                                      std::string_view entry) {
  if (n == 0) {
    return Dup(root_.get());
  }
  // Fast path: one openat2 that refuses symlinks and anything not beneath the root.
  std::string joined = Join(comps, n);
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  int fd = static_cast<int>(::syscall(SYS_openat2, root_.get(), joined.c_str(), &how, sizeof(how)));
  if (fd >= 0) {
    return UniqueFd(fd);
  }
  // Slow path (missing parents, symlinks to diagnose, kernels without openat2): walk one
  // component at a time with O_NOFOLLOW.
  UniqueFd cur = Dup(root_.get());
  for (size_t i = 0; i < n; ++i) {
    const std::string& c = comps[i];
    struct stat st {};
    if (::fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return Refuse(entry, "parent \"{}\" is a symlink; refusing to write through it",
                      Join(comps, i + 1));
      }
      if (!S_ISDIR(st.st_mode)) {
        return Refuse(entry, "parent \"{}\" is not a directory", Join(comps, i + 1));
      }
    } else if (errno == ENOENT && create) {
      if (::mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST) {
        return FailErrno("layer entry \"{}\": creating parent \"{}\"", entry, Join(comps, i + 1));
      }
    } else {
      return FailErrno("layer entry \"{}\": parent \"{}\"", entry, Join(comps, i + 1));
    }
    UniqueFd next(::openat(cur.get(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return Refuse(entry, "parent \"{}\" is not a directory", Join(comps, i + 1));
      }
      return FailErrno("layer entry \"{}\": opening parent \"{}\"", entry, Join(comps, i + 1));
    }
    cur = std::move(next);
  }
  return cur;
}

Result<bool> LayerWriter::ClearExisting(int parent, const std::string& name, const std::string& key,
                                        bool new_is_dir, std::string_view entry) {
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return FailErrno("layer entry \"{}\"", entry);
  }
  if (S_ISDIR(st.st_mode)) {
    if (new_is_dir) {
      return true;
    }
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) {
        return Refuse(entry, "replaces a non-empty directory");
      }
      return FailErrno("layer entry \"{}\": removing earlier directory", entry);
    }
    // The directory's deferred metadata must not be applied to what replaces it.
    std::erase_if(deferred_,
                  [&](const DeferredDir& d) { return Join(d.comps, d.comps.size()) == key; });
    return false;
  }
  if (::unlinkat(parent, name.c_str(), 0) != 0) {
    return FailErrno("layer entry \"{}\": removing earlier entry", entry);
  }
  return false;
}

Status LayerWriter::MakeWhiteout(int parent, const std::string& name, const std::string& key,
                                 const Meta& m, std::string_view entry) {
  CAPSTAN_TRY(ClearExisting(parent, name, key, false, entry));
  if (::mknodat(parent, name.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    if (errno == EPERM) {
      return Fail(Code::kPermissionDenied,
                  "layer entry \"{}\": creating an overlay whiteout needs CAP_MKNOD", entry);
    }
    return FailErrno("layer entry \"{}\": creating whiteout", entry);
  }
  Meta wm = m;
  wm.mode = 0;
  wm.xattrs.clear();
  return ApplyPathMeta(parent, name, wm, false, entry);
}

Status LayerWriter::AddWhiteout(const std::vector<std::string>& comps, const Meta& m,
                                std::string_view entry) {
  const std::string& base = comps.back();
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd parent, OpenDir(comps, comps.size() - 1, true, entry));
  if (base == kOpaqueMarker) {
    UniqueFd dir(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string key = opts_.overlay_xattr_prefix + "opaque";
    if (!dir || ::fsetxattr(dir.get(), key.c_str(), "y", 1, 0) != 0) {
      return FailErrno("layer entry \"{}\": marking directory opaque ({})", entry, key);
    }
    return Ok();
  }
  if (base.starts_with(kWhiteoutMetaPrefix)) {
    log_.Debug("skipping aufs metadata entry", {{"entry", entry}});
    return Ok();
  }
  std::string target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..") {
    return Refuse(entry, "whiteout of an invalid name");
  }
  std::vector<std::string> target_comps(comps.begin(), comps.end() - 1);
  target_comps.push_back(target);
  return MakeWhiteout(parent.get(), target, Join(target_comps, target_comps.size()), m, entry);
}

Status LayerWriter::WriteData(archive* a, int fd, int64_t size, std::string_view entry) {
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = archive_read_data_block(a, &buf, &len, &offset);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc != ARCHIVE_OK) {
      return Refuse(entry, "reading data: {}", archive_error_string(a));
    }
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = ::pwrite(fd, p, len, offset);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return FailErrno("layer entry \"{}\": writing", entry);
      }
      p += n;
      len -= static_cast<size_t>(n);
      offset += n;
    }
  }
  // Sparse files may end in a hole.
  if (size >= 0 && ::ftruncate(fd, size) != 0) {
    return FailErrno("layer entry \"{}\": setting size", entry);
  }
  return Ok();
}

Status LayerWriter::Add(archive* a, archive_entry* e) {
  const char* raw = EntryString(archive_entry_pathname, archive_entry_pathname_utf8, e);
  if (raw == nullptr) {
    return Fail(Code::kInvalidArgument, "layer entry with an undecodable name");
  }
  std::string entry = raw;
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<std::string> comps, SplitEntryPath(entry));
  CAPSTAN_ASSIGN_OR_RETURN(Meta meta, ReadMeta(e, entry));
  const char* hardlink = EntryString(archive_entry_hardlink, archive_entry_hardlink_utf8, e);
  mode_t type = archive_entry_filetype(e);
  if (comps.empty()) {
    if (type != AE_IFDIR || hardlink != nullptr) {
      return Refuse(entry, "names the layer root but is not a directory");
    }
    root_meta_ = std::move(meta);
    root_meta_set_ = true;
    return Ok();
  }
  const std::string& base = comps.back();
  if (base.starts_with(kWhiteoutPrefix)) {
    return AddWhiteout(comps, meta, entry);
  }
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd parent, OpenDir(comps, comps.size() - 1, true, entry));
  std::string key = Join(comps, comps.size());

  if (hardlink != nullptr) {
    CAPSTAN_ASSIGN_OR_RETURN(std::vector<std::string> target, SplitEntryPath(hardlink));
    std::string target_key = Join(target, target.size());
    if (target.empty() || !extracted_.contains(target_key)) {
      return Refuse(entry, "hard link to \"{}\", which is not an earlier file of this layer",
                    hardlink);
    }
    if (target_key == key) {
      return Ok();  // a link to itself: nothing to do
    }
    CAPSTAN_ASSIGN_OR_RETURN(UniqueFd tparent, OpenDir(target, target.size() - 1, false, entry));
    CAPSTAN_TRY(ClearExisting(parent.get(), base, key, false, entry));
    if (::linkat(tparent.get(), target.back().c_str(), parent.get(), base.c_str(), 0) != 0) {
      return FailErrno("layer entry \"{}\": hard link to \"{}\"", entry, hardlink);
    }
    extracted_.insert(key);
    return Ok();
  }

  switch (type) {
    case AE_IFDIR: {
      CAPSTAN_ASSIGN_OR_RETURN(bool kept, ClearExisting(parent.get(), base, key, true, entry));
      if (!kept && ::mkdirat(parent.get(), base.c_str(), 0700) != 0) {
        return FailErrno("layer entry \"{}\": mkdir", entry);
      }
      deferred_.push_back({std::move(comps), std::move(meta)});
      return Ok();
    }
    case AE_IFREG: {
      CAPSTAN_TRY(ClearExisting(parent.get(), base, key, false, entry));
      UniqueFd fd(::openat(parent.get(), base.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) {
        return FailErrno("layer entry \"{}\": creating file", entry);
      }
      int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
      CAPSTAN_TRY(WriteData(a, fd.get(), size, entry));
      CAPSTAN_TRY(ApplyFdMeta(fd.get(), meta, entry));
      break;
    }
    case AE_IFLNK: {
      const char* target = EntryString(archive_entry_symlink, archive_entry_symlink_utf8, e);
      if (target == nullptr || *target == '\0') {
        return Refuse(entry, "symlink without a target");
      }
      CAPSTAN_TRY(ClearExisting(parent.get(), base, key, false, entry));
      if (::symlinkat(target, parent.get(), base.c_str()) != 0) {
        return FailErrno("layer entry \"{}\": symlink", entry);
      }
      CAPSTAN_TRY(ApplyPathMeta(parent.get(), base, meta, true, entry));
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
      if (type == AE_IFCHR && archive_entry_rdevmajor(e) == 0 && archive_entry_rdevminor(e) == 0) {
        // Already in overlay's whiteout form.
        CAPSTAN_TRY(MakeWhiteout(parent.get(), base, key, meta, entry));
        break;
      }
      log_.Warn("skipping device node in layer", {{"entry", entry}});
      return Ok();
    case AE_IFIFO:
      CAPSTAN_TRY(ClearExisting(parent.get(), base, key, false, entry));
      if (::mkfifoat(parent.get(), base.c_str(), 0600) != 0) {
        return FailErrno("layer entry \"{}\": mkfifo", entry);
      }
      CAPSTAN_TRY(ApplyPathMeta(parent.get(), base, meta, false, entry));
      break;
    default:
      log_.Warn("skipping unsupported layer entry type", {{"entry", entry}, {"type", type}});
      return Ok();
  }
  extracted_.insert(std::move(key));
  return Ok();
}

Status LayerWriter::Finish() {
  // Deepest first, so setting a directory's mode never blocks work below it.
  std::stable_sort(
      deferred_.begin(), deferred_.end(),
      [](const DeferredDir& a, const DeferredDir& b) { return a.comps.size() > b.comps.size(); });
  for (const DeferredDir& d : deferred_) {
    std::string entry = Join(d.comps, d.comps.size());
    CAPSTAN_ASSIGN_OR_RETURN(UniqueFd path_fd, OpenDir(d.comps, d.comps.size(), false, entry));
    UniqueFd dir(::openat(path_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      return FailErrno("layer entry \"{}\": opening directory", entry);
    }
    CAPSTAN_TRY(ApplyFdMeta(dir.get(), d.meta, entry));
  }
  if (root_meta_set_) {
    return ApplyFdMeta(root_.get(), root_meta_, "./");
  }
  if (::fchmod(root_.get(), 0755) != 0) {
    return FailErrno("layer root: chmod");
  }
  return Ok();
}

}  // namespace capstan::cri::image

#pragma once
// Writes the entries of one layer tar into a layer directory, treating the tar as hostile.
//
// Policy (DESIGN "layer unpacking never writes outside the layer directory"):
//  - an entry name with a ".." component is refused; leading "/" is dropped (absolute names
//    are relative to the layer root, as containerd does);
//  - every parent directory is resolved below the layer root without following symlinks
//    (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW walk): an entry whose
//    parent is a symlink is refused, so "a symlink pointing out, then a file under it" cannot
//    escape. Symlinks themselves, absolute or not, are created as they are: they resolve
//    inside the container's root at run time;
//  - a hard link must name a non-directory entry extracted earlier in this same layer;
//  - device nodes are skipped with a warning (the runtime gives containers their own /dev),
//    except char 0:0, which is overlay's whiteout; sockets are skipped; FIFOs are created;
//  - OCI whiteouts become overlay whiteouts: ".wh.<name>" -> char device 0:0 <name>,
//    ".wh..wh..opq" -> <prefix>opaque="y" on the directory; other ".wh..wh." names (aufs
//    metadata) are skipped;
//  - overlay's own xattrs ("trusted.overlay.*", "user.overlay.*") in the tar are dropped
//    (they could redirect lookups); others (security.capability, user.*) are kept;
//  - uid/gid, modes including setuid/setgid/sticky, mtimes and xattrs are kept. Directory
//    metadata is applied at Finish, deepest first, so a read-only directory can still be
//    filled and its mtime is not disturbed by its children.

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "cri/image/unpack.h"

struct archive;
struct archive_entry;

namespace capstan::cri::image {

// Splits a tar entry name into components: drops leading "/", empty and "." components;
// InvalidArgument naming the entry for any "..". An empty result names the layer root.
Result<std::vector<std::string>> SplitEntryPath(std::string_view name);

class LayerWriter {
 public:
  // `root` is an open directory (the layer dir).
  LayerWriter(UniqueFd root, UnpackOptions opts);

  // Creates the entry `e`; for regular files its data is read from `a`.
  Status Add(archive* a, archive_entry* e);
  // Applies deferred directory metadata. Call once after the last Add.
  Status Finish();

 private:
  struct Meta {
    mode_t mode = 0;
    int64_t uid = 0;
    int64_t gid = 0;
    struct timespec atime {};
    struct timespec mtime {};
    std::vector<std::pair<std::string, std::string>> xattrs;
  };
  struct DeferredDir {
    std::vector<std::string> comps;
    Meta meta;
  };

  Result<Meta> ReadMeta(archive_entry* e, std::string_view name);
  // Opens the directory comps[0..n) below the root (O_PATH), never through a symlink,
  // creating missing directories (0755) when `create`.
  Result<UniqueFd> OpenDir(const std::vector<std::string>& comps, size_t n, bool create,
                           std::string_view entry);
  // Clears `name` in `parent` for a new entry; returns true when an existing directory is
  // kept because the new entry is a directory too.
  // `key` is the entry's joined path below the root.
  Result<bool> ClearExisting(int parent, const std::string& name, const std::string& key,
                             bool new_is_dir, std::string_view entry);
  Status ApplyFdMeta(int fd, const Meta& m, std::string_view entry);
  Status ApplyPathMeta(int parent, const std::string& name, const Meta& m, bool is_symlink,
                       std::string_view entry);
  Status SetXattrs(int fd_or_parent, const std::string* name, const Meta& m,
                   std::string_view entry);
  Status AddWhiteout(const std::vector<std::string>& comps, const Meta& m, std::string_view entry);
  Status MakeWhiteout(int parent, const std::string& name, const std::string& key, const Meta& m,
                      std::string_view entry);
  Status WriteData(archive* a, int fd, int64_t size, std::string_view entry);

  UniqueFd root_;
  UnpackOptions opts_;
  std::vector<DeferredDir> deferred_;
  bool root_meta_set_ = false;
  Meta root_meta_;
  // Joined paths of non-directory entries extracted so far (hard link targets).
  std::unordered_set<std::string> extracted_;
  bool warned_xattr_ = false;
  log::Logger log_{"image"};
};

}  // namespace capstan::cri::image

#pragma once
// Resolving paths inside an untrusted tree (a container rootfs, an image layer) so that no
// symlink or ".." can lead outside it: every lookup is openat2(RESOLVE_IN_ROOT), so the tree's
// own absolute symlinks resolve against the tree, as they would inside the container
// (runc CVE-2021-30465 is the bug this prevents).

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capstan {

// How a path is resolved against its root:
//   kInRoot:  the root is "/" for the path and its symlinks (RESOLVE_IN_ROOT), as inside a
//             container;
//   kBeneath: the path and its symlinks must stay beneath the root; anything that would
//             leave it (an absolute symlink, ".." above it) fails with EXDEV
//             (RESOLVE_BENEATH), as the kubelet treats a volume's subPath.
// Magic links (/proc/self/fd/N) are never followed.
enum class Resolve { kInRoot, kBeneath };

// openat2(root_fd, path, flags, RESOLVE_IN_ROOT or RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS).
Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, mode_t mode = 0,
                            Resolve resolve = Resolve::kInRoot);

// Creates every missing directory of `path` inside the root; returns an O_PATH fd of it.
Result<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode = 0755,
                                Resolve resolve = Resolve::kInRoot);

// Creates an empty file (and its parents) inside the root unless something exists there;
// returns an O_PATH fd of whatever is at `path`.
Result<UniqueFd> EnsureFileInRoot(int root_fd, std::string_view path);

// "/proc/self/fd/N": a path the mount syscalls accept that names exactly the opened file.
std::string FdPath(int fd);

}  // namespace capstan

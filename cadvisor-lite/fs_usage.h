#pragma once
// Filesystem figures for the summary: a filesystem's size and free space (statvfs), what a
// few files use (a container's log files: a stat per file), and what a tree uses (a
// writable layer, a volume: a walk, which callers cache).

#include <cstdint>
#include <string>

#include "common/error.h"

namespace capstan::cadvisor {

struct FsInfo {
  uint64_t capacity_bytes = 0, available_bytes = 0, used_bytes = 0;
  uint64_t inodes = 0, inodes_free = 0;
};
Result<FsInfo> StatFilesystem(const std::string& path);

struct FilesUsage {
  uint64_t bytes = 0;  // allocated blocks, as du counts them
  uint64_t inodes = 0;
};
// The regular files directly in `dir` (not below it); a missing dir uses nothing.
FilesUsage DirectFilesUsage(const std::string& dir);
// Everything below `dir` on its filesystem, as `du -x` counts it: symlinks not followed,
// hard-linked files once, mounts below it skipped. A missing dir uses nothing.
FilesUsage TreeUsage(const std::string& dir);

}  // namespace capstan::cadvisor

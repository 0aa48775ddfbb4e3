#pragma once
// File helpers with errors that name the path.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan {

Result<std::string> ReadFile(const std::filesystem::path& path);
// Writes via a temporary file, fsync and rename, so readers and crashes see old or new, never
// a torn file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data,
                       mode_t mode = 0644);
// Writes in place (for cgroup and /proc files, which cannot be renamed over).
Status WriteFile(const std::filesystem::path& path, std::string_view data);
Status MkdirAll(const std::filesystem::path& path, mode_t mode = 0755);
// Removes a tree; a missing path is success (deletes are idempotent).
Status RemoveAll(const std::filesystem::path& path);
bool PathExists(const std::filesystem::path& path);

}  // namespace capstan

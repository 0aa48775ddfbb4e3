#pragma once
// Where a container's rotated log files are: shared by the rotation (ContainerLogManager)
// and the reader that follows a log across rotations (LogReader).

#include <filesystem>
#include <vector>

namespace capstan::kubelet::logs {

// The rotated files of `log` (<log>.<anything>), sorted oldest first (the stamp sorts).
std::vector<std::filesystem::path> RotatedLogs(const std::filesystem::path& log);

}  // namespace capstan::kubelet::logs

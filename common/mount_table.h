#pragma once
// The mount table of this process's namespace (/proc/self/mountinfo).

#include <string>

namespace capstan {

// True when `path` (absolute, as mountinfo prints it) is a mount point.
bool IsMountPoint(const std::string& path);

}  // namespace capstan

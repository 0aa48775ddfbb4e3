#pragma once
// The mount table of this process's namespace (/proc/self/mountinfo).

#include <string>
#include <vector>

namespace capstan {

// True when `path` (absolute, as mountinfo prints it) is a mount point.
bool IsMountPoint(const std::string& path);

// The mount points at or below `dir`, deepest first (the order to unmount them in).
std::vector<std::string> MountsUnder(const std::string& dir);

}  // namespace capstan

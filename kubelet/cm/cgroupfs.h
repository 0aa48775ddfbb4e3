#pragma once
// Helpers the cgroupfs managers share (internal to kubelet/cm).

#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::cm::internal {

// Writes a control file; a missing file (controller not enabled) is reported as NotFound.
Status WriteControl(const std::string& dir, const std::string& file, const std::string& value);
std::vector<std::string> ChildDirs(const std::string& dir);
// rmdir of the cgroup and its child cgroups, deepest first; absent is success, a cgroup
// with processes left is FailedPrecondition.
Status RemoveCgroupDir(const std::string& dir);

}  // namespace capstan::kubelet::cm::internal

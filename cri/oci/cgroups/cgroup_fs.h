#pragma once
// Helpers shared by the v1 and v2 cgroup managers.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::cri::oci {

// "kubepods/pod1/" -> "/kubepods/pod1"; "" and "/" -> "".
std::string NormalizeCgroupPath(const std::string& path);
std::string TrimNewline(std::string s);
// Removes a cgroup directory and its child cgroups, depth-first; missing is success.
Status RemoveCgroupDir(const std::string& dir);

}  // namespace capstan::cri::oci

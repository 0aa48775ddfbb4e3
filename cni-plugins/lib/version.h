#pragma once
// CNI spec versions: parsing, comparison, and the set capstan's plugins speak. Results are
// written in the format of the version the config names (0.3.x/0.4.0 keep "version" in each
// IP; 1.1.0 adds interface mtu and route attributes).

#include <string>
#include <string_view>
#include <vector>

#include "cni-plugins/lib/error.h"

namespace capstan::cni {

inline constexpr const char* kLatestVersion = "1.1.0";

struct SemVer {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const SemVer&) const = default;
};

// "1.0.0" -> {1,0,0}; exactly three dot-separated numbers.
CniResult<SemVer> ParseSemVer(std::string_view v);

// The versions every capstan plugin accepts in a config: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0.
const std::vector<std::string>& SupportedVersions();
bool IsSupportedVersion(std::string_view v);

// Whether `v` (already supported) is at least `min`.
bool VersionAtLeast(std::string_view v, std::string_view min);

}  // namespace capstan::cni

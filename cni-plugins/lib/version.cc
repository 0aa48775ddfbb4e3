#include "cni-plugins/lib/version.h"

#include <charconv>

namespace capstan::cni {

CniResult<SemVer> ParseSemVer(std::string_view v) {
  SemVer out;
  int* parts[3] = {&out.major, &out.minor, &out.patch};
  std::string_view rest = v;
  for (int i = 0; i < 3; ++i) {
    size_t dot = rest.find('.');
    std::string_view part = i < 2 ? rest.substr(0, dot) : rest;
    if ((i < 2 && dot == std::string_view::npos) || part.empty() || part.size() > 6) {
      return CniFail(kDecodingFailure, "invalid version {:?}: want MAJOR.MINOR.PATCH", v);
    }
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), *parts[i]);
    if (ec != std::errc() || p != part.data() + part.size()) {
      return CniFail(kDecodingFailure, "invalid version {:?}: want MAJOR.MINOR.PATCH", v);
    }
    if (i < 2) {
      rest.remove_prefix(dot + 1);
    }
  }
  return out;
}

const std::vector<std::string>& SupportedVersions() {
  static const std::vector<std::string> kVersions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return kVersions;
}

bool IsSupportedVersion(std::string_view v) {
  for (const auto& s : SupportedVersions()) {
    if (s == v) {
      return true;
    }
  }
  return false;
}

bool VersionAtLeast(std::string_view v, std::string_view min) {
  auto a = ParseSemVer(v);
  auto b = ParseSemVer(min);
  return a && b && *a >= *b;
}

}  // namespace capstan::cni

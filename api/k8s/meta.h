#pragma once
// ObjectMeta and metav1.Time: the object identity every Kubernetes object carries.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/time.h"

namespace capstan::api::k8s {

using StringMap = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  StringMap labels;
  StringMap annotations;
  std::optional<WallTime> creation_timestamp;
  std::optional<WallTime> deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;
};

// metav1.Time travels as RFC 3339 with second precision: "2026-01-01T00:00:00Z". Parsing
// also accepts fractional seconds and numeric offsets.
std::string FormatTime(WallTime t);
Result<WallTime> ParseTime(std::string_view text);
// Truncates to whole seconds, the precision the API keeps.
WallTime TruncateToSeconds(WallTime t);

}  // namespace capstan::api::k8s

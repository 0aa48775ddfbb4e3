#pragma once
// Small helpers over objects as JSON: identities, timestamps, the metadata fields the
// server owns.

#include <string>

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace capstan::control_plane::apiserver {

using Json = nlohmann::json;

// A random (v4) UUID, as object uids are.
std::string NewUid();
// generateName's suffix: five characters from upstream's alphabet (no vowels, no 0/1/3).
std::string RandomNameSuffix();
// metav1.Time: RFC 3339 at second precision, UTC.
std::string FormatApiTime(WallTime t);
// The age kubectl shows ("5s", "3m2s", "4h", "12d"), as apimachinery's HumanDuration.
std::string HumanDuration(std::chrono::seconds d);
// The age of a metav1.Time string relative to `now` ("<unknown>" when unparsable or empty).
std::string AgeOf(const Json& timestamp, WallTime now);

// obj.metadata[field] as a string ("" when missing or not a string).
std::string MetaString(const Json& obj, const char* field);
// Reads a nested value by path ({"spec","nodeName"}); null when any step is missing.
const Json& Lookup(const Json& obj, std::initializer_list<const char*> path);
// A JSON string value or "" (also for null and non-strings).
std::string StringOr(const Json& v, const std::string& fallback = "");
int64_t IntOr(const Json& v, int64_t fallback);

}  // namespace capstan::control_plane::apiserver

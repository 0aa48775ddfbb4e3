#pragma once
// Typed, non-throwing reads from nlohmann::json objects: a key that is present with the wrong
// type is a decoding error (code 6) naming the key; a missing key gives the default.
// nlohmann's exceptions never leave these helpers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni-plugins/lib/error.h"

namespace capstan::cni {

using Json = nlohmann::json;

// Parses text that must be a JSON object.
CniResult<Json> ParseJsonObject(std::string_view text, std::string_view what);

CniResult<std::string> OptString(const Json& obj, const char* key, std::string_view where);
CniResult<bool> OptBool(const Json& obj, const char* key, bool def, std::string_view where);
CniResult<int64_t> OptInt(const Json& obj, const char* key, int64_t def, std::string_view where);
CniResult<std::vector<std::string>> OptStringList(const Json& obj, const char* key,
                                                  std::string_view where);
// The object at `key`, or an empty object when absent or null.
CniResult<Json> OptObject(const Json& obj, const char* key, std::string_view where);
// The array at `key`, or an empty array when absent or null.
CniResult<Json> OptArray(const Json& obj, const char* key, std::string_view where);

// dump() that never throws on invalid UTF-8 in hostile input.
std::string DumpJson(const Json& j);

}  // namespace capstan::cni

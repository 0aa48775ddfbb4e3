#pragma once
// FieldReader: reads typed fields out of a JSON object, naming the field path in the first
// error ("spec.containers[0].ports[1].containerPort: expected an integer, got string").
// Reads never throw; after the first error every read returns a default and status() holds
// the error. null reads as absent, as Go's encoding/json treats it. Shared by the Pod codec
// and the kubelet's config parser (which also rejects unknown fields).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace capstan::api::k8s {

using Json = nlohmann::json;

// The JSON type name of a value, for error messages ("string", "integer", "object", ...).
std::string_view JsonTypeName(const Json& j);

class FieldReader {
 public:
  // `j` must be an object or null (null behaves as an empty object).
  FieldReader(const Json& j, std::string path);

  bool Has(std::string_view key) const;
  std::string PathOf(std::string_view key) const;

  std::string String(std::string_view key);
  std::optional<std::string> OptString(std::string_view key);
  bool Bool(std::string_view key);
  std::optional<bool> OptBool(std::string_view key);
  int64_t Int(std::string_view key);
  std::optional<int64_t> OptInt(std::string_view key);
  int32_t Int32(std::string_view key);
  std::optional<int32_t> OptInt32(std::string_view key);
  double Number(std::string_view key);
  std::vector<std::string> StringList(std::string_view key);
  std::vector<int64_t> IntList(std::string_view key);
  std::map<std::string, std::string> StringMap(std::string_view key);
  std::optional<WallTime> Time(std::string_view key);
  // The raw value (null when absent), for fields decoded by hand.
  const Json& Raw(std::string_view key);

  // decode(const Json&, const std::string& path) -> Result<T>.
  template <typename T, typename Fn>
  std::optional<T> Object(std::string_view key, Fn decode);
  template <typename T, typename Fn>
  std::vector<T> List(std::string_view key, Fn decode);
  template <typename T, typename Fn>
  std::map<std::string, T> Map(std::string_view key, Fn decode);

  // Records an error found by the caller (first one wins).
  void SetError(Error e);
  bool ok() const { return !error_.has_value(); }
  // The first error, or: when `strict`, an error naming the first field never read.
  Status Finish(bool strict = false) const;

 private:
  const Json* Field(std::string_view key, Json::value_t want, std::string_view want_name);
  bool TypeError(std::string_view key, std::string_view want, const Json& got);

  const Json* obj_ = nullptr;
  std::string path_;
  std::optional<Error> error_;
  std::set<std::string, std::less<>> read_;
};

// Decodes a value of any type at `path` (not a field of an object): helpers for lists.
Result<std::string> DecodeString(const Json& j, const std::string& path);

template <typename T, typename Fn>
std::optional<T> FieldReader::Object(std::string_view key, Fn decode) {
  const Json* v = Field(key, Json::value_t::object, "an object");
  if (!v) {
    return std::nullopt;
  }
  Result<T> r = decode(*v, PathOf(key));
  if (!r) {
    SetError(r.error());
    return std::nullopt;
  }
  return std::move(*r);
}

template <typename T, typename Fn>
std::vector<T> FieldReader::List(std::string_view key, Fn decode) {
  std::vector<T> out;
  const Json* v = Field(key, Json::value_t::array, "a list");
  if (!v) {
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    Result<T> r = decode((*v)[i], PathOf(key) + "[" + std::to_string(i) + "]");
    if (!r) {
      SetError(r.error());
      return {};
    }
    out.push_back(std::move(*r));
  }
  return out;
}

template <typename T, typename Fn>
std::map<std::string, T> FieldReader::Map(std::string_view key, Fn decode) {
  std::map<std::string, T> out;
  const Json* v = Field(key, Json::value_t::object, "an object");
  if (!v) {
    return out;
  }
  for (const auto& [k, item] : v->items()) {
    Result<T> r = decode(item, PathOf(key) + "." + k);
    if (!r) {
      SetError(r.error());
      return {};
    }
    out.emplace(k, std::move(*r));
  }
  return out;
}

}  // namespace capstan::api::k8s

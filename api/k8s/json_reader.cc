#include "api/k8s/json_reader.h"

#include <limits>

#include "api/k8s/meta.h"

namespace capstan::api::k8s {
namespace {

const Json& NullJson() {
  static const Json kNull;
  return kNull;
}

bool IsInteger(const Json& j) { return j.is_number_integer(); }

}  // namespace

std::string_view JsonTypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "list";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    default: return "value";
  }
}

FieldReader::FieldReader(const Json& j, std::string path) : path_(std::move(path)) {
  if (j.is_object()) {
    obj_ = &j;
  } else if (!j.is_null()) {
    error_ = Error(Code::kInvalidArgument,
                   fmt::format("{}: expected an object, got {}",
                               path_.empty() ? "(top level)" : path_, JsonTypeName(j)));
  }
}

bool FieldReader::Has(std::string_view key) const {
  if (!obj_) {
    return false;
  }
  auto it = obj_->find(key);
  return it != obj_->end() && !it->is_null();
}

std::string FieldReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void FieldReader::SetError(Error e) {
  if (!error_) {
    error_ = std::move(e);
  }
}

bool FieldReader::TypeError(std::string_view key, std::string_view want, const Json& got) {
  std::string shown = got.is_string() ? fmt::format(" {:?}", got.get<std::string>()) : "";
  SetError(Error(Code::kInvalidArgument, fmt::format("{}: expected {}, got {}{}", PathOf(key), want,
                                                     JsonTypeName(got), shown)));
  return false;
}

const Json* FieldReader::Field(std::string_view key, Json::value_t want,
                               std::string_view want_name) {
  read_.emplace(key);
  if (error_ || !obj_) {
    return nullptr;
  }
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) {
    return nullptr;
  }
  bool match = it->type() == want;
  if (want == Json::value_t::number_integer) {
    match = IsInteger(*it);
  } else if (want == Json::value_t::number_float) {
    match = it->is_number();
  }
  if (!match) {
    TypeError(key, want_name, *it);
    return nullptr;
  }
  return &*it;
}

const Json& FieldReader::Raw(std::string_view key) {
  read_.emplace(key);
  if (error_ || !obj_) {
    return NullJson();
  }
  auto it = obj_->find(key);
  return it == obj_->end() ? NullJson() : *it;
}

std::string FieldReader::String(std::string_view key) { return OptString(key).value_or(""); }

std::optional<std::string> FieldReader::OptString(std::string_view key) {
  const Json* v = Field(key, Json::value_t::string, "a string");
  if (!v) {
    return std::nullopt;
  }
  return v->get<std::string>();
}

bool FieldReader::Bool(std::string_view key) { return OptBool(key).value_or(false); }

std::optional<bool> FieldReader::OptBool(std::string_view key) {
  const Json* v = Field(key, Json::value_t::boolean, "true or false");
  if (!v) {
    return std::nullopt;
  }
  return v->get<bool>();
}

int64_t FieldReader::Int(std::string_view key) { return OptInt(key).value_or(0); }

std::optional<int64_t> FieldReader::OptInt(std::string_view key) {
  const Json* v = Field(key, Json::value_t::number_integer, "an integer");
  if (!v) {
    return std::nullopt;
  }
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    SetError(Error(Code::kInvalidArgument, fmt::format("{}: out of range", PathOf(key))));
    return std::nullopt;
  }
  return v->get<int64_t>();
}

int32_t FieldReader::Int32(std::string_view key) { return OptInt32(key).value_or(0); }

std::optional<int32_t> FieldReader::OptInt32(std::string_view key) {
  auto v = OptInt(key);
  if (!v) {
    return std::nullopt;
  }
  if (*v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
    SetError(Error(Code::kInvalidArgument,
                   fmt::format("{}: {} is out of range for a 32-bit integer", PathOf(key), *v)));
    return std::nullopt;
  }
  return static_cast<int32_t>(*v);
}

double FieldReader::Number(std::string_view key) {
  const Json* v = Field(key, Json::value_t::number_float, "a number");
  return v ? v->get<double>() : 0.0;
}

std::vector<std::string> FieldReader::StringList(std::string_view key) {
  return List<std::string>(key, DecodeString);
}

std::vector<int64_t> FieldReader::IntList(std::string_view key) {
  return List<int64_t>(key, [](const Json& j, const std::string& path) -> Result<int64_t> {
    if (!j.is_number_integer()) {
      return Fail(Code::kInvalidArgument, "{}: expected an integer, got {}", path, JsonTypeName(j));
    }
    return j.get<int64_t>();
  });
}

std::map<std::string, std::string> FieldReader::StringMap(std::string_view key) {
  return Map<std::string>(key, DecodeString);
}

std::optional<WallTime> FieldReader::Time(std::string_view key) {
  auto s = OptString(key);
  if (!s) {
    return std::nullopt;
  }
  auto t = ParseTime(*s);
  if (!t) {
    SetError(t.error().Wrap("{}", PathOf(key)));
    return std::nullopt;
  }
  return *t;
}

Status FieldReader::Finish(bool strict) const {
  if (error_) {
    return Fail(*error_);
  }
  if (strict && obj_) {
    for (const auto& [k, v] : obj_->items()) {
      if (!read_.contains(k)) {
        return Fail(Code::kInvalidArgument, "{}: unknown field", PathOf(k));
      }
    }
  }
  return Ok();
}

Result<std::string> DecodeString(const Json& j, const std::string& path) {
  if (!j.is_string()) {
    return Fail(Code::kInvalidArgument, "{}: expected a string, got {}", path, JsonTypeName(j));
  }
  return j.get<std::string>();
}

}  // namespace capstan::api::k8s

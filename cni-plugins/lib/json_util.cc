#include "cni-plugins/lib/json_util.h"

namespace capstan::cni {

namespace {
std::string Where(std::string_view where, const char* key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}
}  // namespace

CniResult<Json> ParseJsonObject(std::string_view text, std::string_view what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return CniFail(kDecodingFailure, "{} is not valid JSON", what);
  }
  if (!j.is_object()) {
    return CniFail(kDecodingFailure, "{} must be a JSON object", what);
  }
  return j;
}

CniResult<std::string> OptString(const Json& obj, const char* key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return CniFail(kDecodingFailure, "{} must be a string", Where(where, key));
  }
  return it->get<std::string>();
}

CniResult<bool> OptBool(const Json& obj, const char* key, bool def, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return def;
  }
  if (!it->is_boolean()) {
    return CniFail(kDecodingFailure, "{} must be true or false", Where(where, key));
  }
  return it->get<bool>();
}

CniResult<int64_t> OptInt(const Json& obj, const char* key, int64_t def, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return def;
  }
  if (!it->is_number_integer()) {
    return CniFail(kDecodingFailure, "{} must be an integer", Where(where, key));
  }
  return it->get<int64_t>();
}

CniResult<std::vector<std::string>> OptStringList(const Json& obj, const char* key,
                                                  std::string_view where) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return CniFail(kDecodingFailure, "{} must be a list of strings", Where(where, key));
  }
  for (const auto& e : *it) {
    if (!e.is_string()) {
      return CniFail(kDecodingFailure, "{} must be a list of strings", Where(where, key));
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

CniResult<Json> OptObject(const Json& obj, const char* key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return Json::object();
  }
  if (!it->is_object()) {
    return CniFail(kDecodingFailure, "{} must be an object", Where(where, key));
  }
  return *it;
}

CniResult<Json> OptArray(const Json& obj, const char* key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return Json::array();
  }
  if (!it->is_array()) {
    return CniFail(kDecodingFailure, "{} must be a list", Where(where, key));
  }
  return *it;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace capstan::cni

#include "api/k8s/yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <regex>
#include <string>

namespace capstan::api::k8s {
namespace {

Json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kOct("0o[0-7]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  auto parse_int = [&](std::string_view digits, int base) -> Json {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec == std::errc() && p == digits.data() + digits.size()) {
      return v;
    }
    uint64_t u = 0;
    auto [pu, ecu] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (ecu == std::errc() && pu == digits.data() + digits.size()) {
      return u;
    }
    return std::stod(std::string(digits));  // beyond 64 bits: a (lossy) number, as Go does
  };
  if (std::regex_match(s, kInt)) {
    std::string_view d = s;
    if (d[0] == '+') {
      d.remove_prefix(1);
    }
    // YAML 1.1, as kubectl's sigs.k8s.io/yaml reads it: a leading 0 means octal, so
    // `defaultMode: 0644` is 420.
    static const std::regex kLegacyOct("-?0[0-7]+");
    if (std::regex_match(d.begin(), d.end(), kLegacyOct)) {
      bool neg = d[0] == '-';
      Json v = parse_int(d.substr(neg ? 2 : 1), 8);
      return neg ? Json(-v.get<int64_t>()) : v;
    }
    return parse_int(d, 10);
  }
  if (std::regex_match(s, kHex)) {
    return parse_int(std::string_view(s).substr(2), 16);
  }
  if (std::regex_match(s, kOct)) {
    return parse_int(std::string_view(s).substr(2), 8);
  }
  if (std::regex_match(s, kFloat)) {
    return std::stod(s);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") {
    return INFINITY;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    return -INFINITY;
  }
  return s;
}

Result<Json> Convert(const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return Json(nullptr);
    case YAML::NodeType::Scalar: {
      // "!" is the tag yaml-cpp gives quoted (non-plain) scalars; "?" plain ones.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return Json(node.Scalar());
      }
      return ResolvePlainScalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      size_t i = 0;
      for (const auto& item : node) {
        CAPSTAN_ASSIGN_OR_RETURN(Json v, Convert(item, path + "[" + std::to_string(i) + "]"));
        arr.push_back(std::move(v));
        ++i;
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Fail(Code::kInvalidArgument, "{}: map keys must be strings",
                      path.empty() ? "(top level)" : path);
        }
        std::string key = kv.first.Scalar();
        std::string child = path.empty() ? key : path + "." + key;
        CAPSTAN_ASSIGN_OR_RETURN(Json v, Convert(kv.second, child));
        obj[key] = std::move(v);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

Error YamlError(const YAML::Exception& e) {
  if (e.mark.is_null()) {
    return Error(Code::kInvalidArgument, fmt::format("invalid YAML: {}", e.msg));
  }
  return Error(Code::kInvalidArgument, fmt::format("invalid YAML at line {}, column {}: {}",
                                                   e.mark.line + 1, e.mark.column + 1, e.msg));
}

}  // namespace

Result<Json> YamlToJson(std::string_view yaml) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return Convert(root, "");
  } catch (const YAML::Exception& e) {
    return Fail(YamlError(e));
  } catch (const std::exception& e) {
    return Fail(Code::kInvalidArgument, "invalid YAML: {}", e.what());
  }
}

Result<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Fail(YamlError(e));
  } catch (const std::exception& e) {
    return Fail(Code::kInvalidArgument, "invalid YAML: {}", e.what());
  }
  std::vector<Json> out;
  for (size_t i = 0; i < docs.size(); ++i) {
    auto j = Convert(docs[i], "");
    if (!j) {
      return Fail(j.error().Wrap("document {}", i + 1));
    }
    if (!j->is_null()) {
      out.push_back(std::move(*j));
    }
  }
  return out;
}

Result<Json> ParseJsonOrYaml(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      return Json::parse(text);
    } catch (const Json::parse_error& e) {
      return Fail(Code::kInvalidArgument, "invalid JSON: {}", e.what());
    }
  }
  return YamlToJson(text);
}

}  // namespace capstan::api::k8s

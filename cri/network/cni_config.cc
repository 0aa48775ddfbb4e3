#include "cri/network/cni_config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "common/file.h"

namespace capstan::cri::network {

using nlohmann::json;

namespace {

bool Alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::optional<std::array<int, 3>> ParseVersion(std::string_view v) {
  std::array<int, 3> out{};
  for (int i = 0; i < 3; ++i) {
    size_t dot = v.find('.');
    std::string_view part = i < 2 ? v.substr(0, dot) : v;
    if (part.empty() || (i < 2 && dot == std::string_view::npos)) {
      return std::nullopt;
    }
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out[i]);
    if (ec != std::errc() || p != part.data() + part.size()) {
      return std::nullopt;
    }
    if (i < 2) {
      v.remove_prefix(dot + 1);
    }
  }
  return out;
}

Status CheckPlugins(const json& plugins, std::vector<json>& out) {
  if (!plugins.is_array() || plugins.empty()) {
    return Fail(Code::kInvalidArgument, "\"plugins\" must be a non-empty list");
  }
  for (size_t i = 0; i < plugins.size(); ++i) {
    const json& p = plugins[i];
    if (!p.is_object()) {
      return Fail(Code::kInvalidArgument, "plugins[{}] is not an object", i);
    }
    auto t = p.find("type");
    if (t == p.end() || !t->is_string() || !IsValidPluginType(t->get<std::string>())) {
      return Fail(Code::kInvalidArgument, "plugins[{}] has no valid \"type\"", i);
    }
    if (auto ipam = p.find("ipam"); ipam != p.end() && ipam->is_object()) {
      auto it = ipam->find("type");
      if (it != ipam->end() && (!it->is_string() || !IsValidPluginType(it->get<std::string>()))) {
        return Fail(Code::kInvalidArgument, "plugins[{}].ipam.type is not a valid plugin name", i);
      }
    }
    out.push_back(p);
  }
  return Ok();
}

Status CheckCommon(NetworkConfigList& l, const json& j) {
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !IsValidCniName(name->get<std::string>())) {
    return Fail(Code::kInvalidArgument, "missing or invalid network \"name\"");
  }
  l.name = *name;
  auto ver = j.find("cniVersion");
  if (ver == j.end() || !ver->is_string()) {
    return Fail(Code::kInvalidArgument, "missing \"cniVersion\"");
  }
  l.cni_version = *ver;
  if (auto vs = j.find("cniVersions"); vs != j.end() && !vs->is_null()) {
    if (!vs->is_array()) {
      return Fail(Code::kInvalidArgument, "\"cniVersions\" must be a list of strings");
    }
    for (const auto& v : *vs) {
      if (!v.is_string()) {
        return Fail(Code::kInvalidArgument, "\"cniVersions\" must be a list of strings");
      }
      l.cni_versions.push_back(v);
    }
  }
  if (CandidateVersions(l).empty()) {
    return Fail(Code::kInvalidArgument, "no CNI version the runtime supports (has {})",
                l.cni_version);
  }
  for (const char* key : {"disableCheck", "disableGC"}) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null() && !it->is_boolean()) {
      return Fail(Code::kInvalidArgument, "\"{}\" must be true or false", key);
    }
  }
  l.disable_check = j.value("disableCheck", false);
  l.disable_gc = j.value("disableGC", false);
  return Ok();
}

}  // namespace

const std::vector<std::string>& RuntimeCniVersions() {
  static const std::vector<std::string> kVersions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return kVersions;
}

int CompareCniVersions(std::string_view a, std::string_view b) {
  auto va = ParseVersion(a);
  auto vb = ParseVersion(b);
  if (!va || !vb) {
    return va ? 1 : (vb ? -1 : 0);
  }
  return *va < *vb ? -1 : (*va > *vb ? 1 : 0);
}

bool IsValidCniName(std::string_view name) {
  if (name.empty() || name.size() > 253 || !Alnum(name[0])) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return Alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool IsValidPluginType(std::string_view type) {
  return !type.empty() && type.size() < 256 && type != "." && type != ".." &&
         type.find('/') == std::string_view::npos && type.find('\0') == std::string_view::npos;
}

std::vector<std::string> CandidateVersions(const NetworkConfigList& list) {
  std::vector<std::string> out;
  auto add = [&](const std::string& v) {
    const auto& rv = RuntimeCniVersions();
    if (std::find(rv.begin(), rv.end(), v) != rv.end() &&
        std::find(out.begin(), out.end(), v) == out.end()) {
      out.push_back(v);
    }
  };
  add(list.cni_version);
  for (const auto& v : list.cni_versions) {
    add(v);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return CompareCniVersions(a, b) > 0;
  });
  return out;
}

Result<NetworkConfigList> ParseConfList(std::string_view text, std::string source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(Code::kInvalidArgument, "not a JSON object");
  }
  NetworkConfigList l;
  l.source = std::move(source);
  l.bytes = std::string(text);
  CAPSTAN_TRY(CheckCommon(l, j));
  auto plugins = j.find("plugins");
  if (plugins == j.end()) {
    return Fail(Code::kInvalidArgument, "no \"plugins\" list");
  }
  CAPSTAN_TRY(CheckPlugins(*plugins, l.plugins));
  return l;
}

Result<NetworkConfigList> ParseSingleConf(std::string_view text, std::string source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(Code::kInvalidArgument, "not a JSON object");
  }
  if (j.contains("plugins")) {
    return ParseConfList(text, std::move(source));
  }
  NetworkConfigList l;
  l.source = std::move(source);
  CAPSTAN_TRY(CheckCommon(l, j));
  CAPSTAN_TRY(CheckPlugins(json::array({j}), l.plugins));
  json wrapped{{"cniVersion", l.cni_version}, {"name", l.name}, {"plugins", json::array({j})}};
  l.bytes = wrapped.dump(-1, ' ', false, json::error_handler_t::replace);
  return l;
}

LoadedConfig LoadFirstConfig(const std::string& dir) {
  LoadedConfig out;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension();
    if ((ext == ".conflist" || ext == ".conf" || ext == ".json") && e.is_regular_file(ec)) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (!text) {
      out.skipped.push_back(fmt::format("{}: {}", f.string(), text.error().message()));
      continue;
    }
    auto list = f.extension() == ".conflist" ? ParseConfList(*text, f.string())
                                             : ParseSingleConf(*text, f.string());
    if (!list) {
      out.skipped.push_back(fmt::format("{}: {}", f.string(), list.error().message()));
      continue;
    }
    out.config = std::move(*list);
    break;
  }
  return out;
}

}  // namespace capstan::cri::network

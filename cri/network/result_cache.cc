#include "cri/network/result_cache.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/file.h"
#include "cri/network/cni_config.h"

namespace capstan::cri::network {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Result<CachedAttachment> FromJson(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("kind", "") != "cniCacheV1") {
    return Fail(Code::kInvalidArgument, "{}: not a cniCacheV1 record", path);
  }
  CachedAttachment a;
  try {
    a.container_id = j.value("containerId", "");
    a.ifname = j.value("ifName", "");
    a.network_name = j.value("networkName", "");
    a.netns = j.value("netns", "");
    auto cfg = Base64Decode(j.value("config", ""));
    if (!cfg) {
      return Fail(Code::kInvalidArgument, "{}: config is not base64", path);
    }
    a.config_bytes = std::move(*cfg);
    if (j.contains("cniArgs") && j["cniArgs"].is_array()) {
      for (const auto& kv : j["cniArgs"]) {
        if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
          a.cni_args.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
        }
      }
    }
    if (j.contains("capabilityArgs") && j["capabilityArgs"].is_object()) {
      a.capability_args = j["capabilityArgs"];
    }
    if (j.contains("result") && j["result"].is_object()) {
      a.result = j["result"];
    }
    a.ours = j.value("capstanRuntime", false);
  } catch (const json::exception& e) {
    return Fail(Code::kInvalidArgument, "{}: {}", path, e.what());
  }
  return a;
}

}  // namespace

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= uint8_t(in[i + 1]) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      break;
    }
    const char* p = std::strchr(kAlphabet, c);
    if (p == nullptr || c == '\0') {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string ResultCache::PathFor(const std::string& net, const std::string& id,
                                 const std::string& ifname) const {
  return dir_ + "/" + net + "-" + id + "-" + ifname;
}

Status ResultCache::Save(const CachedAttachment& a) const {
  if (!IsValidCniName(a.network_name) || !IsValidCniName(a.container_id) ||
      a.ifname.find('/') != std::string::npos || a.ifname.empty()) {
    return Fail(Code::kInvalidArgument, "cannot cache attachment {}/{}/{}: invalid name",
                a.network_name, a.container_id, a.ifname);
  }
  json args = json::array();
  for (const auto& [k, v] : a.cni_args) {
    args.push_back(json::array({k, v}));
  }
  json j{{"kind", "cniCacheV1"},
         {"containerId", a.container_id},
         {"config", Base64Encode(a.config_bytes)},
         {"ifName", a.ifname},
         {"networkName", a.network_name}};
  if (!a.netns.empty()) {
    j["netns"] = a.netns;
  }
  if (!args.empty()) {
    j["cniArgs"] = args;
  }
  if (!a.capability_args.empty()) {
    j["capabilityArgs"] = a.capability_args;
  }
  if (!a.result.is_null()) {
    j["result"] = a.result;
  }
  if (a.ours) {
    j["capstanRuntime"] = true;
  }
  CAPSTAN_TRY(MkdirAll(dir_, 0700));
  return WriteFileAtomic(PathFor(a.network_name, a.container_id, a.ifname),
                         j.dump(-1, ' ', false, json::error_handler_t::replace), 0600);
}

Result<std::vector<CachedAttachment>> ResultCache::All() const {
  std::vector<CachedAttachment> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    if (!e.is_regular_file(ec) || e.path().extension() == ".tmp") {
      continue;
    }
    auto text = ReadFile(e.path());
    if (!text) {
      continue;  // removed meanwhile
    }
    auto a = FromJson(*text, e.path());
    if (a) {
      out.push_back(std::move(*a));
    }
  }
  return out;
}

Result<std::vector<CachedAttachment>> ResultCache::Find(const std::string& container_id,
                                                        const std::string& ifname) const {
  std::vector<CachedAttachment> out;
  std::string suffix = "-" + container_id + "-" + ifname;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename();
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) {
      continue;
    }
    auto text = ReadFile(e.path());
    if (!text) {
      continue;
    }
    auto a = FromJson(*text, e.path());
    if (a && a->container_id == container_id && a->ifname == ifname) {
      out.push_back(std::move(*a));
    }
  }
  return out;
}

Status ResultCache::Remove(const CachedAttachment& a) const {
  std::string p = PathFor(a.network_name, a.container_id, a.ifname);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
    return FailErrno("removing {}", p);
  }
  return Ok();
}

}  // namespace capstan::cri::network

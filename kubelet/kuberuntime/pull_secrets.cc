#include "kubelet/kuberuntime/pull_secrets.h"

#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "common/pki/base64.h"

namespace capstan::kubelet::kuberuntime {
namespace {

struct Location {
  std::string host;
  std::string path;  // repository path below the host ("library/busybox")
};

// An image's registry host and repository path, defaulted as Docker does.
Location ImageLocation(const std::string& image) {
  std::string name = image.substr(0, image.find('@'));
  auto slash = name.find('/');
  std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
  bool has_host = !first.empty() && (first.find('.') != std::string::npos ||
                                     first.find(':') != std::string::npos || first == "localhost");
  Location loc;
  if (has_host) {
    loc.host = first;
    loc.path = name.substr(slash + 1);
  } else {
    loc.host = "docker.io";
    loc.path = slash == std::string::npos ? "library/" + name : name;
  }
  // The tag is not part of the path.
  if (auto colon = loc.path.rfind(':');
      colon != std::string::npos && loc.path.find('/', colon) == std::string::npos) {
    loc.path.resize(colon);
  }
  if (loc.host == "index.docker.io" || loc.host == "registry-1.docker.io") loc.host = "docker.io";
  return loc;
}

// A keyring key ("https://index.docker.io/v1/", "registry:5000/team", "*.corp") as a location.
Location KeyLocation(std::string key) {
  for (const char* scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) key = key.substr(std::string(scheme).size());
  }
  Location loc;
  auto slash = key.find('/');
  loc.host = key.substr(0, slash);
  loc.path = slash == std::string::npos ? "" : key.substr(slash + 1);
  while (!loc.path.empty() && loc.path.back() == '/') loc.path.pop_back();
  if (loc.host == "index.docker.io" || loc.host == "registry-1.docker.io") {
    loc.host = "docker.io";
    if (loc.path == "v1" || loc.path == "v2") loc.path.clear();
  }
  return loc;
}

std::vector<std::string> Labels(const std::string& host) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    out.push_back(host.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// "*.example.com" matches "a.example.com" but not "a.b.example.com": globs match label by
// label, as upstream's keyring does.
bool HostMatches(const std::string& pattern, const std::string& host) {
  if (pattern == host) return true;
  if (pattern.find('*') == std::string::npos) return false;
  auto want = Labels(pattern);
  auto have = Labels(host);
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (::fnmatch(want[i].c_str(), have[i].c_str(), 0) != 0) return false;
  }
  return true;
}

bool Matches(const Location& key, const Location& image) {
  bool host = HostMatches(key.host, image.host);
  if (!host) return false;
  return key.path.empty() || image.path == key.path || image.path.starts_with(key.path + "/");
}

api::cri::v1::AuthConfig ToAuth(const std::string& key, const nlohmann::json& entry) {
  api::cri::v1::AuthConfig a;
  a.set_server_address(key);
  a.set_username(entry.value("username", ""));
  a.set_password(entry.value("password", ""));
  std::string auth = entry.value("auth", "");
  if (!auth.empty() && a.username().empty()) {
    // "user:password", base64.
    if (auto plain = pki::Base64Decode(auth); plain) {
      auto colon = plain->find(':');
      if (colon != std::string::npos) {
        a.set_username(plain->substr(0, colon));
        a.set_password(plain->substr(colon + 1));
      }
    }
  }
  a.set_auth(auth);
  a.set_identity_token(entry.value("identitytoken", ""));
  a.set_registry_token(entry.value("registrytoken", ""));
  return a;
}

}  // namespace

std::vector<api::cri::v1::AuthConfig> CredentialsFor(
    const std::string& image, const std::vector<std::map<std::string, std::string>>& secrets) {
  Location want = ImageLocation(image);
  std::vector<api::cri::v1::AuthConfig> out;
  for (const auto& data : secrets) {
    nlohmann::json auths;
    if (auto it = data.find(".dockerconfigjson"); it != data.end()) {
      auto parsed = nlohmann::json::parse(it->second, nullptr, false);
      if (parsed.is_object()) auths = parsed.value("auths", nlohmann::json::object());
    } else if (auto old = data.find(".dockercfg"); old != data.end()) {
      auths = nlohmann::json::parse(old->second, nullptr, false);
    }
    if (!auths.is_object()) continue;  // not a registry secret: nothing to offer
    for (const auto& [key, entry] : auths.items()) {
      if (entry.is_object() && Matches(KeyLocation(key), want)) out.push_back(ToAuth(key, entry));
    }
  }
  return out;
}

}  // namespace capstan::kubelet::kuberuntime

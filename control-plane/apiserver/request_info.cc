#include "control-plane/apiserver/request_info.h"

#include <vector>

namespace capstan::control_plane::apiserver {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

QueryParams ParseQuery(std::string_view query) {
  QueryParams out;
  size_t i = 0;
  while (i < query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view pair = query.substr(i, j - i);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = UrlDecode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1), true);
      out.emplace(std::move(key), std::move(value));  // the first value wins, as Go's Get
    }
    i = j + 1;
  }
  return out;
}

RequestInfo ParseRequestInfo(std::string_view method, std::string_view target) {
  RequestInfo info;
  size_t q = target.find('?');
  info.path = UrlDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) {
    info.query = ParseQuery(target.substr(q + 1));
  }
  std::vector<std::string> parts = SplitPath(info.path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) {
    return info;
  }
  info.api_prefix = parts[0];
  size_t at = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 3) return info;  // /apis, /apis/GROUP: discovery
    info.group = parts[1];
    info.version = parts[2];
    at = 3;
  } else {
    if (parts.size() < 2) return info;  // /api
    info.version = parts[1];
    at = 2;
  }
  std::vector<std::string> rest(parts.begin() + at, parts.end());
  if (rest.empty()) return info;  // /api/v1: the group version's resource list
  info.is_resource_request = true;

  bool watch_prefix = false;
  if (rest[0] == "watch") {  // the deprecated /watch/ path form
    watch_prefix = true;
    rest.erase(rest.begin());
  }
  if (!rest.empty() && rest[0] == "namespaces" && rest.size() > 1) {
    info.namespace_ = rest[1];
    // namespaces/NS/status and namespaces/NS/finalize are the namespace's own subresources.
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (!rest.empty()) info.resource = rest[0];
  if (rest.size() > 1) info.name = rest[1];
  if (rest.size() > 2) info.subresource = rest[2];
  if (info.resource == "namespaces" && info.name.empty() == false) {
    info.namespace_ = "";  // a namespace object itself is cluster-scoped
  }

  auto watch_param = info.query.find("watch");
  bool watch = watch_prefix || (watch_param != info.query.end() &&
                                (watch_param->second == "true" || watch_param->second == "1"));
  if (method == "GET" || method == "HEAD") {
    info.verb = info.name.empty() ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  } else {
    info.verb = "";
  }
  return info;
}

}  // namespace capstan::control_plane::apiserver

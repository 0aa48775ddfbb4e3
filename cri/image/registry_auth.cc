#include "cri/image/registry_auth.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "cri/image/http_client.h"

namespace capstan::cri::image {
namespace {

constexpr size_t kMaxTokenResponse = 1 << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

}  // namespace

Result<Challenge> ParseChallenge(std::string_view h) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) {
      ++i;
    }
  };
  skip_ws();
  size_t start = i;
  while (i < h.size() && IsTokenChar(h[i])) {
    ++i;
  }
  if (i == start) {
    return Fail(Code::kInvalidArgument, "WWW-Authenticate \"{}\": missing scheme", h);
  }
  Challenge c;
  c.scheme = Lower(h.substr(start, i - start));
  for (;;) {
    skip_ws();
    while (i < h.size() && h[i] == ',') {
      ++i;
      skip_ws();
    }
    if (i >= h.size()) {
      break;
    }
    start = i;
    while (i < h.size() && IsTokenChar(h[i])) {
      ++i;
    }
    std::string key = Lower(h.substr(start, i - start));
    skip_ws();
    if (key.empty() || i >= h.size() || h[i] != '=') {
      // A second challenge ("Bearer ..., Basic realm=...") or token68: stop at the first.
      break;
    }
    ++i;
    skip_ws();
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      bool closed = false;
      while (i < h.size()) {
        if (h[i] == '\\' && i + 1 < h.size()) {
          value.push_back(h[i + 1]);
          i += 2;
        } else if (h[i] == '"') {
          ++i;
          closed = true;
          break;
        } else {
          value.push_back(h[i++]);
        }
      }
      if (!closed) {
        return Fail(Code::kInvalidArgument, "WWW-Authenticate \"{}\": unterminated quote", h);
      }
    } else {
      start = i;
      while (i < h.size() && IsTokenChar(h[i])) {
        ++i;
      }
      value = std::string(h.substr(start, i - start));
    }
    c.params.emplace(std::move(key), std::move(value));
  }
  return c;
}

Result<Credentials> ToCredentials(const AuthConfig& auth) {
  Credentials c{auth.username, auth.password, auth.identity_token, auth.registry_token};
  if (!auth.auth.empty() && c.username.empty() && c.password.empty()) {
    auto decoded = Base64Decode(auth.auth);
    if (!decoded) {
      return Fail(Code::kInvalidArgument, "auth config \"auth\": {}", decoded.error().message());
    }
    auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      return Fail(Code::kInvalidArgument, "auth config \"auth\": want base64 of user:password");
    }
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  return c;
}

std::string BasicAuthorization(const Credentials& creds) {
  return "Basic " + Base64Encode(creds.username + ":" + creds.password);
}

Result<std::string> FetchBearerToken(const Challenge& challenge, std::string_view scope,
                                     const Credentials& creds, bool verify_tls) {
  auto realm_it = challenge.params.find("realm");
  if (realm_it == challenge.params.end() ||
      !(realm_it->second.starts_with("https://") || realm_it->second.starts_with("http://"))) {
    return Fail(Code::kInvalidArgument, "bearer challenge without an http(s) realm");
  }
  const std::string& realm = realm_it->second;
  std::string service;
  if (auto it = challenge.params.find("service"); it != challenge.params.end()) {
    service = it->second;
  }
  std::string want_scope(scope);
  if (auto it = challenge.params.find("scope"); it != challenge.params.end()) {
    want_scope = it->second;
  }
  HttpRequest req;
  req.verify_tls = verify_tls;
  if (!creds.identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=capstan&service=" + UrlEscape(service) +
               "&scope=" + UrlEscape(want_scope) +
               "&refresh_token=" + UrlEscape(creds.identity_token);
  } else {
    req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
              "service=" + UrlEscape(service) + "&scope=" + UrlEscape(want_scope);
    if (creds.has_basic()) {
      req.headers.push_back("Authorization: " + BasicAuthorization(creds));
    }
  }
  std::string body;
  CAPSTAN_ASSIGN_OR_RETURN(HttpResponse resp, HttpGetString(req, kMaxTokenResponse, &body));
  if (resp.status == 401 || resp.status == 403) {
    return Fail(Code::kPermissionDenied, "token endpoint {} refused the credentials (HTTP {})",
                realm, resp.status);
  }
  if (resp.status != 200) {
    return Fail(Code::kUnavailable, "token endpoint {}: HTTP {}", realm, resp.status);
  }
  try {
    auto j = nlohmann::json::parse(body);
    for (const char* key : {"token", "access_token"}) {
      if (auto it = j.find(key); it != j.end() && it->is_string() && !it->empty()) {
        return it->get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Fail(Code::kInvalidArgument, "token endpoint {}: invalid JSON: {}", realm, e.what());
  }
  return Fail(Code::kInvalidArgument, "token endpoint {}: response has no token", realm);
}

}  // namespace capstan::cri::image

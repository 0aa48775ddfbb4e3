#include "kubelet/util/net.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "kubelet/util/socket.h"
#include "kubelet/util/tls.h"

namespace capstan::kubelet::util {
namespace {

constexpr size_t kMaxBody = 10 << 10;     // what upstream probes read of a body
constexpr size_t kMaxHeaders = 64 << 10;  // a response whose headers never end is broken
constexpr int kMaxRedirects = 10;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

struct Url {
  bool https = false;
  std::string host;  // without brackets
  int port = 80;
  std::string authority;  // as the Host header carries it
  std::string path = "/";

  std::string ToString() const {
    return fmt::format("{}://{}{}", https ? "https" : "http", authority, path);
  }
};

std::string Authority(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

// "host", "host:port", "[v6]", "[v6]:port".
Result<Url> ParseAuthority(std::string_view authority, bool https) {
  Url u;
  u.https = https;
  u.port = https ? 443 : 80;
  u.authority = std::string(authority);
  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(Code::kInvalidArgument, "bad host {:?}", authority);
    }
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Fail(Code::kInvalidArgument, "bad host {:?}", authority);
      }
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    u.host = std::string(authority);
  }
  if (!port.empty()) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port <= 0 || u.port > 65535) {
      return Fail(Code::kInvalidArgument, "bad port in {:?}", authority);
    }
  }
  if (u.host.empty()) {
    return Fail(Code::kInvalidArgument, "no host in {:?}", authority);
  }
  return u;
}

// Where a Location header points, seen from `base` (RFC 3986 reference resolution, without
// dot-segment removal: servers that redirect probes use absolute paths in practice).
Result<Url> ResolveLocation(const Url& base, std::string_view location) {
  location = location.substr(0, location.find('#'));
  auto split_path = [](std::string_view rest) {
    auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (path.starts_with("?")) {
      path = "/" + path;
    }
    return std::pair{authority, path};
  };
  std::optional<bool> https;
  std::string_view rest;
  if (auto colon = location.find("://"); colon != std::string_view::npos) {
    std::string scheme = Lower(location.substr(0, colon));
    if (scheme != "http" && scheme != "https") {
      return Fail(Code::kInvalidArgument, "redirect to unsupported scheme {:?}", scheme);
    }
    https = scheme == "https";
    rest = location.substr(colon + 3);
  } else if (location.starts_with("//")) {
    https = base.https;
    rest = location.substr(2);
  }
  if (https) {
    auto [authority, path] = split_path(rest);
    CAPSTAN_ASSIGN_OR_RETURN(Url u, ParseAuthority(authority, *https));
    u.path = path;
    return u;
  }
  Url u = base;
  if (location.starts_with("/")) {
    u.path = std::string(location);
  } else if (location.starts_with("?")) {
    u.path = base.path.substr(0, base.path.find('?')) + std::string(location);
  } else if (!location.empty()) {
    std::string dir = base.path.substr(0, base.path.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    u.path = (dir.empty() ? "/" : dir) + std::string(location);
  }
  return u;
}

struct RawResponse {
  HttpResponse response;
  std::string location;
};

std::optional<std::string_view> Header(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && IEquals(line.substr(0, colon), name)) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      return value;
    }
    pos = end;
  }
  return std::nullopt;
}

// The data of a chunked body, as far as it is here.
std::string Dechunk(std::string_view body) {
  std::string out;
  while (!body.empty()) {
    size_t size = 0;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), size, 16);
    auto eol = body.find("\r\n");
    if (ec != std::errc() || eol == std::string_view::npos || size == 0) {
      break;
    }
    body.remove_prefix(eol + 2);
    out.append(body.substr(0, size));
    if (body.size() < size + 2) {
      break;
    }
    body.remove_prefix(size + 2);
  }
  return out;
}

Result<RawResponse> GetOnce(const Url& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& user_agent, const InsecureTlsClient* tls,
                            Deadline deadline) {
  std::string what = "GET " + url.ToString();
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd fd, ConnectTcp(url.host, url.port, deadline));
  std::unique_ptr<Conn> conn;
  if (url.https) {
    CAPSTAN_ASSIGN_OR_RETURN(conn, tls->Handshake(std::move(fd), url.host, deadline, what));
  } else {
    conn = NewPlainConn(std::move(fd), what);
  }
  std::string request = fmt::format("GET {} HTTP/1.1\r\n", url.path);
  bool has_host = false, has_agent = false, has_accept = false;
  std::string extra;
  for (const auto& [k, v] : headers) {
    // The probe's Host header names the virtual host; Go puts it in the request line's place.
    if (IEquals(k, "Host")) {
      has_host = true;
      request += "Host: " + v + "\r\n";
      continue;
    }
    has_agent |= IEquals(k, "User-Agent");
    has_accept |= IEquals(k, "Accept");
    extra += k + ": " + v + "\r\n";
  }
  if (!has_host) request += "Host: " + url.authority + "\r\n";
  if (!has_agent) request += "User-Agent: " + user_agent + "\r\n";
  if (!has_accept) request += "Accept: */*\r\n";
  request += extra + "Connection: close\r\n\r\n";
  CAPSTAN_TRY(conn->Send(request, deadline));

  std::string data;
  std::optional<size_t> header_end;
  int status = 0;
  std::optional<size_t> content_length;
  bool chunked = false;
  while (true) {
    if (header_end) {
      size_t body = data.size() - *header_end;
      bool complete = (content_length && body >= *content_length) ||
                      (chunked && std::string_view(data).ends_with("0\r\n\r\n"));
      if (complete || body >= kMaxBody) {
        break;
      }
    } else if (data.size() > kMaxHeaders) {
      return Fail(Code::kUnavailable, "{}: response headers too long", what);
    }
    char buf[4096];
    CAPSTAN_ASSIGN_OR_RETURN(size_t n, conn->Recv(buf, sizeof(buf), deadline));
    if (n == 0) {
      break;
    }
    data.append(buf, n);
    if (!header_end) {
      if (auto end = data.find("\r\n\r\n"); end != std::string::npos) {
        header_end = end + 4;
        std::string_view head(data.data(), end + 2);
        // "HTTP/1.1 200 OK"
        if (!head.starts_with("HTTP/1.") || head.size() < 12) {
          return Fail(Code::kUnavailable, "{}: malformed response", what);
        }
        auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, status);
        if (ec != std::errc() || status < 100) {
          return Fail(Code::kUnavailable, "{}: malformed status line", what);
        }
        if (auto cl = Header(head, "Content-Length")) {
          size_t len = 0;
          if (std::from_chars(cl->data(), cl->data() + cl->size(), len).ec == std::errc()) {
            content_length = len;
          }
        }
        if (auto te = Header(head, "Transfer-Encoding")) {
          chunked = Lower(*te).find("chunked") != std::string::npos;
        }
        if (status == 204 || status == 304 || status < 200) {
          content_length = 0;
        }
      }
    }
  }
  if (!header_end) {
    return Fail(Code::kUnavailable, "{}: connection closed before the response", what);
  }
  RawResponse r;
  r.response.status = status;
  std::string_view body = std::string_view(data).substr(*header_end);
  r.response.body = chunked ? Dechunk(body) : std::string(body);
  if (content_length && r.response.body.size() > *content_length) {
    r.response.body.resize(*content_length);
  }
  if (r.response.body.size() > kMaxBody) {
    r.response.body.resize(kMaxBody);
  }
  if (auto loc = Header(std::string_view(data).substr(0, *header_end - 2), "Location")) {
    r.location = std::string(*loc);
  }
  return r;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

Status TcpDial(const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto fd = ConnectTcp(host, port, std::chrono::steady_clock::now() + timeout);
  if (!fd) {
    return Fail(fd.error());
  }
  return Ok();
}

ProbeHttpGetter::ProbeHttpGetter(std::string user_agent) : user_agent_(std::move(user_agent)) {}
ProbeHttpGetter::~ProbeHttpGetter() = default;

Result<const InsecureTlsClient*> ProbeHttpGetter::Tls() {
  std::lock_guard lock(mu_);
  if (!tls_) {
    CAPSTAN_ASSIGN_OR_RETURN(tls_, InsecureTlsClient::Create());
  }
  return tls_.get();
}

Result<HttpResponse> ProbeHttpGetter::Get(const HttpRequest& req) {
  std::string scheme = Lower(req.scheme);
  if (scheme != "http" && scheme != "https") {
    return Fail(Code::kInvalidArgument, "httpGet: unsupported scheme {:?}", req.scheme);
  }
  auto deadline = std::chrono::steady_clock::now() + req.timeout;
  Url url;
  url.https = scheme == "https";
  url.host = req.host;
  url.port = req.port;
  url.authority = Authority(req.host, req.port);
  url.path = req.path.empty() ? "/" : req.path;
  if (!url.path.starts_with("/")) {
    url.path = "/" + url.path;
  }
  auto headers = req.headers;
  const InsecureTlsClient* tls = nullptr;
  for (int redirects = 0;; ++redirects) {
    if (url.https && !tls) {
      CAPSTAN_ASSIGN_OR_RETURN(tls, Tls());
    }
    CAPSTAN_ASSIGN_OR_RETURN(RawResponse r, GetOnce(url, headers, user_agent_, tls, deadline));
    if (!IsRedirect(r.response.status) || r.location.empty()) {
      return std::move(r.response);
    }
    auto next = ResolveLocation(url, r.location);
    // Another host: the probe's answer is the redirect itself (upstream's
    // http.ErrUseLastResponse), as is a Location no client could follow.
    if (!next || Lower(next->host) != Lower(req.host)) {
      return std::move(r.response);
    }
    if (redirects + 1 >= kMaxRedirects) {
      return Fail(Code::kUnavailable, "GET {}: stopped after {} redirects", url.ToString(),
                  kMaxRedirects);
    }
    // An absolute Location names its own host: a Host header set by the probe applies to
    // the first address only (as Go's client does).
    if (next->authority != url.authority) {
      std::erase_if(headers, [](const auto& h) { return IEquals(h.first, "Host"); });
    }
    url = std::move(*next);
  }
}

}  // namespace capstan::kubelet::util

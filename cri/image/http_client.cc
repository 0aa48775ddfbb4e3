#include "cri/image/http_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>

namespace capstan::cri::image {
namespace {

constexpr size_t kMaxErrorBody = 64 << 10;

struct Transfer {
  const BodySink* sink;
  HttpResponse resp;
  std::optional<Error> sink_error;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool HeaderIs(std::string_view name, std::string_view want) {
  return name.size() == want.size() &&
         std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

size_t OnHeader(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100): forget the previous one's headers.
    t->resp = HttpResponse{};
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      t->resp.status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    }
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return size * n;
  }
  std::string_view name = line.substr(0, colon);
  std::string value(Trim(line.substr(colon + 1)));
  if (HeaderIs(name, "content-type")) {
    t->resp.content_type = value;
  } else if (HeaderIs(name, "www-authenticate") && t->resp.www_authenticate.empty()) {
    t->resp.www_authenticate = value;
  } else if (HeaderIs(name, "docker-content-digest")) {
    t->resp.docker_content_digest = value;
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  size_t len = size * n;
  if (t->resp.status < 200 || t->resp.status > 299) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->resp.error_body.size());
    t->resp.error_body.append(data, std::min(room, len));
    return len;
  }
  if (*t->sink) {
    auto st = (*t->sink)(std::string_view(data, len));
    if (!st) {
      t->sink_error = st.error();
      return 0;  // aborts the transfer
    }
  }
  return len;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

Result<HttpResponse> HttpDo(const HttpRequest& req, const BodySink& sink) {
  GlobalInit();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    return Fail(Code::kResourceExhausted, "curl_easy_init failed");
  }
  CURL* c = curl.get();
  Transfer t{&sink, {}, std::nullopt};
  curl_slist* raw_headers = nullptr;
  for (const auto& h : req.headers) {
    raw_headers = curl_slist_append(raw_headers, h.c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // No overall timeout (layers can be large); a stalled transfer is cut instead.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "capstan-cri/0.1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
  }

  CURLcode rc = curl_easy_perform(c);
  if (t.sink_error) {
    return Fail(*t.sink_error);
  }
  if (rc != CURLE_OK) {
    std::string msg = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    Code code = rc == CURLE_OPERATION_TIMEDOUT ? Code::kDeadlineExceeded : Code::kUnavailable;
    return Fail(code, "{} {}: {}", req.method, req.url, msg);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  t.resp.status = status;
  return t.resp;
}

Result<HttpResponse> HttpGetString(const HttpRequest& req, size_t max_size, std::string* out) {
  out->clear();
  return HttpDo(req, [&](std::string_view chunk) -> Status {
    if (chunk.size() > max_size - out->size()) {
      return Fail(Code::kResourceExhausted, "{}: response is larger than {} bytes", req.url,
                  max_size);
    }
    out->append(chunk);
    return Ok();
  });
}

std::string Base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view in) {
  std::string clean;
  for (char ch : in) {
    if (!std::isspace(static_cast<unsigned char>(ch))) {
      clean.push_back(ch);
    }
  }
  if (clean.size() % 4 != 0) {
    return Fail(Code::kInvalidArgument, "invalid base64: length is not a multiple of 4");
  }
  std::string out(3 * clean.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) {
    return Fail(Code::kInvalidArgument, "invalid base64");
  }
  size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') {
    pad = (clean.size() >= 2 && clean[clean.size() - 2] == '=') ? 2 : 1;
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string UrlEscape(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : in) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xf]);
    }
  }
  return out;
}

}  // namespace capstan::cri::image

#pragma once
// A minimal HTTP client over libcurl for the registry protocol: one request at a time per
// call, bodies streamed to a sink, only http/https (also across redirects), and the
// Authorization header never forwarded to a redirect's different host (libcurl's rule).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::cri::image {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST form body
  bool verify_tls = true;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string www_authenticate;
  std::string docker_content_digest;
  std::string error_body;  // first 64 KiB of a non-2xx body
};

// Receives a 2xx body chunk by chunk; an error aborts the transfer and is returned by Do.
using BodySink = std::function<Status(std::string_view chunk)>;

// Performs `req`. Transport failures (DNS, connect, TLS, timeouts) are Unavailable or
// DeadlineExceeded with curl's message; any HTTP status is a successful response.
Result<HttpResponse> HttpDo(const HttpRequest& req, const BodySink& sink);

// Convenience: the whole 2xx body into a string, refusing more than `max_size` bytes.
Result<HttpResponse> HttpGetString(const HttpRequest& req, size_t max_size, std::string* out);

std::string Base64Encode(std::string_view in);
Result<std::string> Base64Decode(std::string_view in);
// application/x-www-form-urlencoded escaping.
std::string UrlEscape(std::string_view in);

}  // namespace capstan::cri::image

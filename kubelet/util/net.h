#pragma once
// Small network clients the kubelet uses for httpGet/tcpSocket probes and lifecycle hooks.
// HttpGetter is the seam (tests use a fake); PlainHttpGetter speaks HTTP/1.1 over TCP
// (https is for the next phase).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::util {

struct HttpRequest {
  std::string scheme = "HTTP";  // HTTP or HTTPS
  std::string host;
  int port = 80;
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{1000};
};

struct HttpResponse {
  int status = 0;
  std::string body;  // at most the first 10 KiB, as upstream probes read
};

class HttpGetter {
 public:
  virtual ~HttpGetter() = default;
  // Fails with DeadlineExceeded on timeout and Unavailable when nothing listens.
  virtual Result<HttpResponse> Get(const HttpRequest& req) = 0;
};

class PlainHttpGetter : public HttpGetter {
 public:
  Result<HttpResponse> Get(const HttpRequest& req) override;
};

// Opens and closes a TCP connection within `timeout`.
Status TcpDial(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace capstan::kubelet::util

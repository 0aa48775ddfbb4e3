#pragma once
// Small network clients the kubelet uses for httpGet/tcpSocket probes and lifecycle hooks.
// HttpGetter is the seam (tests use a fake); ProbeHttpGetter speaks HTTP/1.1 over TCP and
// TLS as upstream's prober does (pkg/probe/http).

#include <chrono>
#include <memory>
#include <mutex>
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

class InsecureTlsClient;

// One GET with upstream's semantics: the request carries Host (host:port), User-Agent
// (kube-probe/<major>.<minor>) and Accept: */* unless the probe's headers set them; HTTPS
// does not verify the certificate; redirects are followed (at most 10) while they stay on
// the same host (any port or scheme), and a redirect elsewhere is answered with the 3xx
// itself (which a probe counts as success, as upstream does); at most 10 KiB of the body
// are read. The timeout covers the whole exchange, redirects included. Thread-safe.
class ProbeHttpGetter : public HttpGetter {
 public:
  explicit ProbeHttpGetter(std::string user_agent = "kube-probe/1.30");
  ~ProbeHttpGetter() override;
  Result<HttpResponse> Get(const HttpRequest& req) override;

 private:
  Result<const InsecureTlsClient*> Tls();

  std::string user_agent_;
  std::mutex mu_;
  std::unique_ptr<InsecureTlsClient> tls_;
};

// Opens and closes a TCP connection within `timeout`.
Status TcpDial(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace capstan::kubelet::util

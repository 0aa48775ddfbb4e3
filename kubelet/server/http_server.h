#pragma once
// HttpServer: one listening port of the kubelet API, HTTP or HTTPS, over Boost.Beast.
//
// One I/O thread runs every connection asynchronously; Router calls (which may block on the
// runtime) and log file reads run on a small worker pool, so a slow runtime or a log being
// followed never holds up other requests. Hostile clients are bounded: request headers are
// limited in size, the TLS handshake, reading a request and writing a response each have a
// deadline, and connections beyond max_connections are closed at once.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "kubelet/server/router.h"

namespace capstan::kubelet::server {

struct TlsOptions {
  std::string cert_file;       // PEM, the serving certificate (and its chain)
  std::string key_file;        // PEM
  std::string client_ca_file;  // empty: client certificates are not asked for
};

struct HttpServerOptions {
  std::string name = "kubelet";  // for logs
  std::string address = "0.0.0.0";
  int port = 0;  // 0: any free port (see HttpServer::port)
  std::optional<TlsOptions> tls;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};   // a whole request, also between requests
  std::chrono::milliseconds write_timeout{60000};  // each write of a response
  std::chrono::milliseconds follow_poll{250};      // how often a followed log is re-read
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 1024;
  int worker_threads = 2;
};

class HttpServer {
 public:
  // Binds and starts serving. The router (and the host behind it) must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, const Router* router);
  ~HttpServer();

  // The bound port (the chosen one when options.port was 0).
  int port() const;
  // Open connections (for tests and metrics).
  size_t connections() const;
  // Stops accepting, closes every connection and waits for running handlers. Idempotent.
  void Stop();
  // Reads the certificate, key and client CA files again (a rotated serving certificate):
  // connections from now on use them, open ones keep theirs. A file that does not load
  // leaves the current ones in use.
  Status ReloadTls();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::kubelet::server

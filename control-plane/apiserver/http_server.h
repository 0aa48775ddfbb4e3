#pragma once
// HttpServer: the API server's HTTPS transport over Boost.Beast, a thread per connection.
//
// Blocking I/O on a thread per connection keeps a watch stream simple (a loop that waits
// for events and writes chunks), and a few hundred connections cost a few hundred small
// stacks. Hostile clients are bounded: the header and body sizes are capped, each read and
// write has a deadline (SO_RCVTIMEO/SO_SNDTIMEO), the TLS handshake too, and connections
// beyond max_connections are refused at once.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::control_plane::apiserver {

// The client certificate, when one was presented and verified against the client CA.
struct ClientCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
};

struct HttpRequest {
  std::string method;
  std::string target;                          // "/api/v1/pods?limit=10"
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated one: the last
  // Every header line in order, repeats kept (as a proxied request must carry them).
  std::vector<std::pair<std::string, std::string>> header_lines;
  std::string body;
  std::optional<ClientCertificate> client_certificate;
  std::string remote_address;

  std::string Header(const std::string& lower_name) const;
};

// Where ProxyUpgrade relays a connection to: a TLS server (a kubelet) that must present a
// certificate for `host` signed by `ca_pem`, reached with a client certificate.
struct UpgradeTarget {
  std::string host;
  int port = 0;
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string request_head;  // the complete request line and headers to send it
  std::chrono::milliseconds connect_timeout{10000};
};

// One response: either Respond once, StartStream, WriteChunk..., EndStream, or ProxyUpgrade.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void Respond(int status, const std::string& content_type, const std::string& body,
                       const std::map<std::string, std::string>& headers = {}) = 0;
  // A chunked response for watches and followed logs. False when the client is gone.
  virtual bool StartStream(int status, const std::string& content_type) = 0;
  virtual bool WriteChunk(std::string_view data) = 0;
  virtual void EndStream() = 0;
  // True once the client closed its side (a streaming handler polls it between waits).
  virtual bool ClientGone() = 0;
  // Exec, attach, port-forward: sends target.request_head to the target, then relays bytes
  // both ways (the target's answer, 101 or not, included) until either side closes; the
  // connection ends with it. An error means the target could not be reached and nothing was
  // sent to the client: the handler answers it.
  virtual Status ProxyUpgrade(const UpgradeTarget& target) {
    return Fail(Code::kUnimplemented, "this connection cannot be upgraded");
  }
};

using Handler = std::function<void(const HttpRequest&, ResponseWriter&)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: client certificates are not asked for
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};  // between requests, and a request's reads
  std::chrono::milliseconds write_timeout{60000};
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 3 * 1024 * 1024;  // kube-apiserver's limit
  size_t max_connections = 2048;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);
  ~HttpServer();
  int port() const;
  // Stops accepting, ends every connection, waits for their threads. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::control_plane::apiserver

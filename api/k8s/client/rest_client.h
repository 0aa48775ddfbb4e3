#pragma once
// RestClient: HTTPS to a Kubernetes API server (capstan-server or kube-apiserver), the
// transport under the typed clients, informers and controllers. One keep-alive TLS
// connection per client (not thread-safe: one client per thread), reconnected on failure;
// client-certificate or bearer-token authentication; watch streams read line by line.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/error.h"

namespace capstan::api::k8s::client {

struct RestConfig {
  std::string host = "127.0.0.1";
  int port = 6443;
  std::string ca_pem;           // verify the server against this CA
  std::string client_cert_pem;  // with client_key_pem: authenticate by certificate
  std::string client_key_pem;
  std::string bearer_token;  // or by token
  std::chrono::milliseconds timeout{30000};
};

struct RestResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class RestClient {
 public:
  static Result<std::unique_ptr<RestClient>> Create(RestConfig config);
  ~RestClient();

  // `path` includes the query. Transport errors are Unavailable; any HTTP status is a
  // response.
  Result<RestResponse> Do(const std::string& method, const std::string& path,
                          const std::string& body = "",
                          const std::string& content_type = "application/json",
                          const std::map<std::string, std::string>& headers = {});

  // A streaming GET (watch): `on_line` gets each newline-terminated line until it returns
  // false, the stream ends or `timeout` passes. Uses a connection of its own.
  // `on_socket`, when set, gets the connection's fd once connected: shutdown(2) on it from
  // another thread ends the stream (Ok), which is how watches are cancelled.
  Status Stream(const std::string& path, const std::function<bool(const std::string&)>& on_line,
                std::chrono::milliseconds timeout,
                const std::function<void(int fd)>& on_socket = {});

  class Impl;

 private:
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "https://127.0.0.1:6443" -> host and port.
Result<std::pair<std::string, int>> ParseServerUrl(const std::string& url);

}  // namespace capstan::api::k8s::client

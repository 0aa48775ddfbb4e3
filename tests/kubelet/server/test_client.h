#pragma once
// A small libcurl client for the server tests (an independent HTTP/TLS implementation), and
// raw-socket helpers for sending what no well-behaved client sends.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace capstan::kubelet::server::testing {

struct ClientOptions {
  std::string ca_file;    // trust this CA (TLS); empty: do not verify the server
  std::string cert_file;  // client certificate (TLS)
  std::string key_file;
  std::chrono::milliseconds timeout{10000};
  // Streaming: called with each piece of the body; return false to hang up.
  std::function<bool(const std::string&)> on_data;
};

struct ClientResponse {
  long status = 0;  // 0: the request failed (see error)
  std::string body;
  std::string content_type;
  std::string error;
};

ClientResponse Get(const std::string& url, const ClientOptions& options = {});

// Sends `bytes` to 127.0.0.1:`port` and returns everything read until the server closes the
// connection or `timeout` passes.
std::string RawExchange(int port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Connects, sends nothing, and returns how long until the server closed the connection (or
// `limit` if it did not).
std::chrono::milliseconds TimeUntilClosed(int port, std::chrono::milliseconds limit);

}  // namespace capstan::kubelet::server::testing

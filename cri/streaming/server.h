#pragma once
// StreamingServer: capstan-cri's streaming endpoint, the URL that Exec, Attach and
// PortForward answer with (as containerd's and CRI-O's). Plain HTTP on loopback by default
// (the kubelet connects to it on the same node and proxies the client's stream); each URL
// carries a one-time token that expires (token_cache.h).
//
//   GET|POST /exec/{token}          SPDY/3.1 upgrade: v4/v3/v2/v1 channel.k8s.io;
//                                   WebSocket: v5, v4, v4.base64, base64, channel.k8s.io
//   GET|POST /attach/{token}        the same
//   GET|POST /portforward/{token}   SPDY/3.1 upgrade: portforward.k8s.io;
//                                   WebSocket: SPDY/3.1+portforward.k8s.io (SPDY tunneled)
//
// A thread per stream, bounded by max_streams; requests have a read deadline, upgraded
// streams an idle timeout.

#include <memory>
#include <string>

#include "common/error.h"
#include "cri/streaming/sessions.h"
#include "cri/streaming/token_cache.h"

namespace capstan::cri::streaming {

// What the sessions need of the runtime.
class StreamingBackend {
 public:
  virtual ~StreamingBackend() = default;
  virtual Result<StdioConnection> OpenExec(const StreamRequest& request) = 0;
  virtual Result<StdioConnection> OpenAttach(const StreamRequest& request) = 0;
  virtual Result<UniqueFd> DialPort(const std::string& sandbox_id, int32_t port) = 0;
};

struct StreamingOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free port
  size_t max_streams = 256;
  std::chrono::milliseconds request_timeout{30000};
  SessionLimits limits;
};

class StreamingServer {
 public:
  static Result<std::unique_ptr<StreamingServer>> Start(StreamingOptions options,
                                                        StreamingBackend* backend);
  ~StreamingServer();

  // The URL for a new request ("http://127.0.0.1:PORT/exec/TOKEN").
  Result<std::string> Url(StreamRequest request);
  int port() const;
  size_t active_streams() const;
  void Stop();

  class Impl;

 private:
  explicit StreamingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::cri::streaming

#pragma once
// SpdyConnection: the server end of a SPDY/3.1 connection after the HTTP upgrade, driven by
// the session's poll loop. Read() takes what the socket has and returns the frames it
// completed; the Reply/Data/Reset/GoAway calls queue frames, and Flush() writes what the
// socket takes (the session polls for POLLOUT while pending() is non-zero). PINGs are
// answered here; SETTINGS and WINDOW_UPDATE are dropped, as Go's spdystream (the other end
// of every Kubernetes client) does not do flow control either.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/spdy/frame.h"
#include "cri/streaming/output_queue.h"
#include "cri/streaming/websocket.h"

namespace capstan::cri::streaming {

class SpdyConnection {
 public:
  // `fd` is a non-blocking socket the caller owns; `leftover` is what the HTTP parser read
  // past the upgrade request. `websocket_tunnel`: the SPDY bytes travel in WebSocket binary
  // messages (kubectl 1.31+'s port-forward, "SPDY/3.1+portforward.k8s.io").
  SpdyConnection(int fd, std::string_view leftover, bool websocket_tunnel = false);

  // Frames the bytes now readable complete. `closed` is set when the peer closed the
  // connection (or sent GOAWAY). An error (a malformed frame) means the connection must go.
  Result<std::vector<spdy::Frame>> Read(bool& closed);

  void Reply(uint32_t stream_id);
  // Splits data into frames of at most 32 KiB; `fin` half-closes our side after it.
  void Data(uint32_t stream_id, std::string_view data, bool fin = false);
  void Reset(uint32_t stream_id, uint32_t status);
  void GoAway();

  // Writes queued bytes until the socket would block; false when the socket failed.
  bool Flush();
  size_t pending() const { return out_.pending(); }

 private:
  void Queue(const spdy::Frame& frame);

  void FeedBytes(std::string_view bytes, bool& closed);

  int fd_;
  bool tunnel_;
  WebSocketReader ws_reader_;
  spdy::FrameReader reader_;
  spdy::FrameWriter writer_;
  std::string leftover_;
  OutputQueue out_;
};

}  // namespace capstan::cri::streaming

#pragma once
// The server side of RFC 6455 WebSocket framing, for the streaming protocols newer clients
// speak (kubectl 1.30+): v5.channel.k8s.io and friends for exec and attach, and SPDY
// tunneled in binary messages for port-forward. Clients mask their frames, servers do not;
// fragmented messages are reassembled; control frames come out as they arrive.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace capstan::cri::streaming {

enum class WsOpcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

struct WsMessage {
  WsOpcode opcode = WsOpcode::kBinary;
  std::string data;
};

class WebSocketReader {
 public:
  explicit WebSocketReader(size_t max_message = 16 << 20) : max_message_(max_message) {}
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete message (or control frame); nothing while one is partial; an error
  // (unmasked client frame, oversized message, bad opcode) ends the connection.
  Result<std::optional<WsMessage>> Next();

 private:
  size_t max_message_;
  std::string buffer_;
  size_t consumed_ = 0;
  std::optional<WsMessage> partial_;  // a fragmented message being assembled
};

// One unmasked frame with FIN set.
std::string WsFrame(WsOpcode opcode, std::string_view payload);
// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string WsAccept(std::string_view key);

}  // namespace capstan::cri::streaming

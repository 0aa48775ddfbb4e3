#pragma once
// ClientChannels: the client's side of a remote-command session (exec, attach) as channels,
// whatever carries them: SPDY streams (one per channel, opened by the client) or WebSocket
// messages (a channel byte, then data). The session (remote_command.cc) reads client input
// as events and writes output per channel; the transport does the framing and buffering.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cri/streaming/token_cache.h"

namespace capstan::cri::streaming {

enum class Channel : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4 };

struct ClientInput {
  std::string stdin_data;
  bool stdin_closed = false;
  std::vector<std::pair<uint16_t, uint16_t>> sizes;  // width, height
  bool closed = false;                               // the client went away
};

class ClientChannels {
 public:
  virtual ~ClientChannels() = default;
  // Reads what the socket has into `in`; false on a protocol error (the session ends).
  virtual bool Read(ClientInput& in) = 0;
  // Whether every channel the request needs is open (SPDY clients open them one by one).
  virtual bool Ready() const = 0;
  virtual void Write(Channel channel, std::string_view data) = 0;
  // Output is over: `error_message` goes on the error channel (when non-empty or the
  // protocol always carries a status), then the connection is closed politely.
  virtual void Finish(const std::string& error_message) = 0;
  virtual size_t pending() const = 0;
  // Writes what the socket takes; false when it failed.
  virtual bool Flush() = 0;
  // Whether the protocol reports the outcome as a Status (v4, v5) rather than as text.
  virtual bool StatusErrors() const = 0;
};

// `fd` is the non-blocking client socket after the 101 answer.
std::unique_ptr<ClientChannels> NewSpdyChannels(int fd, std::string_view leftover,
                                                const std::string& protocol,
                                                const StreamRequest& request);
std::unique_ptr<ClientChannels> NewWebSocketChannels(int fd, std::string_view leftover,
                                                     const std::string& protocol,
                                                     const StreamRequest& request);

// Terminal sizes arrive on the resize channel as JSON objects one after another
// ({"Width":80,"Height":24}); takes the complete ones out of `buffer`.
std::vector<std::pair<uint16_t, uint16_t>> TakeTerminalSizes(std::string& buffer);

}  // namespace capstan::cri::streaming

#include "cri/streaming/spdy_connection.h"

#include <sys/socket.h>
#include <unistd.h>

namespace capstan::cri::streaming {

namespace {
constexpr size_t kMaxDataFrame = 32 * 1024;
}

SpdyConnection::SpdyConnection(int fd, std::string_view leftover, bool websocket_tunnel)
    : fd_(fd), tunnel_(websocket_tunnel), leftover_(leftover) {}

void SpdyConnection::FeedBytes(std::string_view bytes, bool& closed) {
  if (!tunnel_) {
    reader_.Feed(bytes);
    return;
  }
  ws_reader_.Feed(bytes);
  for (;;) {
    auto msg = ws_reader_.Next();
    if (!msg) {
      out_.MarkFailed();
      closed = true;
      return;
    }
    if (!*msg) return;
    switch ((*msg)->opcode) {
      case WsOpcode::kBinary:
      case WsOpcode::kText: reader_.Feed((*msg)->data); break;
      case WsOpcode::kPing: out_.Append(WsFrame(WsOpcode::kPong, (*msg)->data)); break;
      case WsOpcode::kClose: closed = true; break;
      default: break;
    }
  }
}

Result<std::vector<spdy::Frame>> SpdyConnection::Read(bool& closed) {
  if (!leftover_.empty()) {
    FeedBytes(leftover_, closed);
    leftover_.clear();
  }
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      FeedBytes(std::string_view(buf, static_cast<size_t>(n)), closed);
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  std::vector<spdy::Frame> frames;
  for (;;) {
    CAPSTAN_ASSIGN_OR_RETURN(auto frame, reader_.Next());
    if (!frame) break;
    if (auto* ping = std::get_if<spdy::Ping>(&*frame)) {
      Queue(*ping);  // echoed back, as the spec asks of the receiver of a peer's ping
      continue;
    }
    if (std::holds_alternative<spdy::Settings>(*frame) ||
        std::holds_alternative<spdy::WindowUpdate>(*frame)) {
      continue;
    }
    if (std::holds_alternative<spdy::GoAway>(*frame)) {
      closed = true;
      continue;
    }
    frames.push_back(std::move(*frame));
  }
  return frames;
}

void SpdyConnection::Queue(const spdy::Frame& frame) {
  auto bytes = writer_.Encode(frame);
  if (!bytes) {
    out_.MarkFailed();  // only values we chose could fail here: a bug, end the connection
    return;
  }
  out_.Append(tunnel_ ? WsFrame(WsOpcode::kBinary, *bytes) : *bytes);
}

void SpdyConnection::Reply(uint32_t stream_id) {
  spdy::SynReply reply;
  reply.stream_id = stream_id;
  Queue(reply);
}

void SpdyConnection::Data(uint32_t stream_id, std::string_view data, bool fin) {
  do {
    size_t n = std::min(data.size(), kMaxDataFrame);
    spdy::DataFrame frame;
    frame.stream_id = stream_id;
    frame.data = std::string(data.substr(0, n));
    data.remove_prefix(n);
    frame.flags = fin && data.empty() ? spdy::kFlagFin : 0;
    Queue(frame);
  } while (!data.empty());
}

void SpdyConnection::Reset(uint32_t stream_id, uint32_t status) {
  Queue(spdy::RstStream{stream_id, status});
}

void SpdyConnection::GoAway() { Queue(spdy::GoAway{0, 0}); }

bool SpdyConnection::Flush() { return out_.Flush(fd_); }

}  // namespace capstan::cri::streaming

#include "cri/streaming/websocket.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace capstan::cri::streaming {

Result<std::optional<WsMessage>> WebSocketReader::Next() {
  for (;;) {
    std::string_view in = std::string_view(buffer_).substr(consumed_);
    if (in.size() < 2) break;
    auto b0 = static_cast<uint8_t>(in[0]), b1 = static_cast<uint8_t>(in[1]);
    bool fin = b0 & 0x80;
    auto opcode = static_cast<WsOpcode>(b0 & 0x0f);
    if (b0 & 0x70) return Fail(Code::kInvalidArgument, "websocket: reserved bits set");
    if (!(b1 & 0x80)) return Fail(Code::kInvalidArgument, "websocket: client frame not masked");
    uint64_t len = b1 & 0x7f;
    size_t at = 2;
    if (len == 126) {
      if (in.size() < 4) break;
      len = (uint64_t{static_cast<uint8_t>(in[2])} << 8) | static_cast<uint8_t>(in[3]);
      at = 4;
    } else if (len == 127) {
      if (in.size() < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(in[2 + i]);
      at = 10;
    }
    if (len > max_message_) return Fail(Code::kInvalidArgument, "websocket: frame too large");
    if (in.size() < at + 4 + len) break;
    const char* mask = in.data() + at;
    std::string payload(in.substr(at + 4, len));
    for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
    consumed_ += at + 4 + len;
    if (consumed_ > (1 << 16) && consumed_ * 2 > buffer_.size()) {
      buffer_.erase(0, consumed_);
      consumed_ = 0;
    }
    bool control = static_cast<uint8_t>(opcode) >= 8;
    if (control) {
      if (!fin || len > 125) return Fail(Code::kInvalidArgument, "websocket: bad control frame");
      if (opcode != WsOpcode::kClose && opcode != WsOpcode::kPing && opcode != WsOpcode::kPong) {
        return Fail(Code::kInvalidArgument, "websocket: unknown control opcode");
      }
      return std::optional<WsMessage>(WsMessage{opcode, std::move(payload)});
    }
    if (opcode == WsOpcode::kContinuation) {
      if (!partial_) return Fail(Code::kInvalidArgument, "websocket: continuation of nothing");
      if (partial_->data.size() + payload.size() > max_message_) {
        return Fail(Code::kInvalidArgument, "websocket: message too large");
      }
      partial_->data += payload;
    } else if (opcode == WsOpcode::kText || opcode == WsOpcode::kBinary) {
      if (partial_) return Fail(Code::kInvalidArgument, "websocket: interleaved messages");
      partial_ = WsMessage{opcode, std::move(payload)};
    } else {
      return Fail(Code::kInvalidArgument, "websocket: unknown opcode");
    }
    if (fin) {
      auto done = std::move(partial_);
      partial_.reset();
      return done;
    }
  }
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return std::optional<WsMessage>();
}

std::string WsFrame(WsOpcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size()));
  } else {
    out.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>(uint64_t{payload.size()} >> (8 * i)));
  }
  out.append(payload);
  return out;
}

std::string WsAccept(std::string_view key) {
  std::string text = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(n));
}

}  // namespace capstan::cri::streaming

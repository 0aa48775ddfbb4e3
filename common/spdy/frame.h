#pragma once
// SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 with the 3.1 flow-control addendum): the
// framing Kubernetes' streaming protocols run on ("SPDY/3.1" upgrades for exec, attach and
// port-forward). Every frame has an 8-byte header:
//   control: 1 | version (15) | type (16) | flags (8) | length (24), then the type's fields;
//   data:    0 | stream id (31)           | flags (8) | length (24), then the payload.
// FrameWriter turns frames into bytes and FrameReader bytes into frames; each holds its
// direction's header compression, so one of each serves one connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/spdy/header_block.h"

namespace capstan::spdy {

constexpr uint16_t kVersion = 3;
constexpr uint8_t kFlagFin = 0x01;
constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM

enum class ControlType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

// RST_STREAM status codes.
enum RstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kFrameTooLarge = 11,
};

struct DataFrame {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  std::string data;
};
struct SynStream {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 0 (highest) to 7
  uint8_t flags = 0;
  HeaderBlock headers;
};
struct SynReply {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  HeaderBlock headers;
};
struct RstStream {
  uint32_t stream_id = 0;
  uint32_t status = 0;
};
struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
};
struct Settings {
  uint8_t flags = 0;
  std::vector<Setting> entries;
};
struct Ping {
  uint32_t id = 0;
};
struct GoAway {
  uint32_t last_good_stream_id = 0;
  uint32_t status = 0;
};
struct Headers {
  uint32_t stream_id = 0;
  uint8_t flags = 0;
  HeaderBlock headers;
};
struct WindowUpdate {
  uint32_t stream_id = 0;
  uint32_t delta = 0;  // 1 to 2^31-1
};

using Frame = std::variant<DataFrame, SynStream, SynReply, RstStream, Settings, Ping, GoAway,
                           Headers, WindowUpdate>;

class FrameWriter {
 public:
  // The frame's bytes. Fails for values the wire cannot carry (a payload over 2^24-1 bytes,
  // a stream id over 2^31-1).
  Result<std::string> Encode(const Frame& frame);

 private:
  HeaderCompressor compressor_;
};

class FrameReader {
 public:
  // Frames longer than `max_frame_size` are refused (the peer must not make us buffer them).
  explicit FrameReader(size_t max_frame_size = 1 << 20);

  // Adds bytes read from the connection.
  void Feed(std::string_view bytes);
  // The next complete frame, nothing while one is still partial, or an error after which the
  // connection must be closed (a malformed frame, another version, one too large).
  // Control frames of types this version does not know are skipped, as the spec says.
  Result<std::optional<Frame>> Next();

 private:
  Result<std::optional<Frame>> ParseControl(uint16_t type, uint8_t flags, std::string_view payload);

  size_t max_frame_size_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already returned as frames
  HeaderDecompressor decompressor_;
};

}  // namespace capstan::spdy

#include "common/spdy/frame.h"

#include "common/spdy/wire.h"

namespace capstan::spdy {

namespace {

constexpr uint32_t kMaxLength = 0xFFFFFF;
constexpr uint32_t kMaxStreamId = 0x7FFFFFFF;

using wire::GetU32;
using wire::PutU32;

Status CheckStreamId(uint32_t id) {
  if (id > kMaxStreamId) return Fail(Code::kInvalidArgument, "stream id {} is too large", id);
  return Ok();
}

Result<std::string> Control(ControlType type, uint8_t flags, const std::string& payload) {
  if (payload.size() > kMaxLength) {
    return Fail(Code::kInvalidArgument, "frame payload of {} bytes is too large", payload.size());
  }
  std::string out;
  out.reserve(8 + payload.size());
  PutU32(out, 0x80000000u | uint32_t{kVersion} << 16 | static_cast<uint16_t>(type));
  PutU32(out, uint32_t{flags} << 24 | static_cast<uint32_t>(payload.size()));
  out += payload;
  return out;
}

}  // namespace

Result<std::string> FrameWriter::Encode(const Frame& frame) {
  if (const auto* d = std::get_if<DataFrame>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(d->stream_id));
    if (d->data.size() > kMaxLength) {
      return Fail(Code::kInvalidArgument, "data frame of {} bytes is too large", d->data.size());
    }
    std::string out;
    out.reserve(8 + d->data.size());
    PutU32(out, d->stream_id);
    PutU32(out, uint32_t{d->flags} << 24 | static_cast<uint32_t>(d->data.size()));
    out += d->data;
    return out;
  }
  std::string p;
  if (const auto* s = std::get_if<SynStream>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(s->stream_id));
    CAPSTAN_TRY(CheckStreamId(s->associated_stream_id));
    PutU32(p, s->stream_id);
    PutU32(p, s->associated_stream_id);
    p += static_cast<char>((s->priority & 0x7) << 5);
    p += '\0';  // slot (unused in 3.1)
    CAPSTAN_ASSIGN_OR_RETURN(auto block, compressor_.Compress(s->headers));
    p += block;
    return Control(ControlType::kSynStream, s->flags, p);
  }
  if (const auto* r = std::get_if<SynReply>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(r->stream_id));
    PutU32(p, r->stream_id);
    CAPSTAN_ASSIGN_OR_RETURN(auto block, compressor_.Compress(r->headers));
    p += block;
    return Control(ControlType::kSynReply, r->flags, p);
  }
  if (const auto* r = std::get_if<RstStream>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(r->stream_id));
    PutU32(p, r->stream_id);
    PutU32(p, r->status);
    return Control(ControlType::kRstStream, 0, p);
  }
  if (const auto* s = std::get_if<Settings>(&frame)) {
    PutU32(p, static_cast<uint32_t>(s->entries.size()));
    for (const auto& e : s->entries) {
      PutU32(p, uint32_t{e.flags} << 24 | (e.id & kMaxLength));
      PutU32(p, e.value);
    }
    return Control(ControlType::kSettings, s->flags, p);
  }
  if (const auto* ping = std::get_if<Ping>(&frame)) {
    PutU32(p, ping->id);
    return Control(ControlType::kPing, 0, p);
  }
  if (const auto* g = std::get_if<GoAway>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(g->last_good_stream_id));
    PutU32(p, g->last_good_stream_id);
    PutU32(p, g->status);
    return Control(ControlType::kGoAway, 0, p);
  }
  if (const auto* h = std::get_if<Headers>(&frame)) {
    CAPSTAN_TRY(CheckStreamId(h->stream_id));
    PutU32(p, h->stream_id);
    CAPSTAN_ASSIGN_OR_RETURN(auto block, compressor_.Compress(h->headers));
    p += block;
    return Control(ControlType::kHeaders, h->flags, p);
  }
  const auto& w = std::get<WindowUpdate>(frame);
  CAPSTAN_TRY(CheckStreamId(w.stream_id));
  if (w.delta == 0 || w.delta > kMaxStreamId) {
    return Fail(Code::kInvalidArgument, "window delta {} is out of range", w.delta);
  }
  PutU32(p, w.stream_id);
  PutU32(p, w.delta);
  return Control(ControlType::kWindowUpdate, 0, p);
}

FrameReader::FrameReader(size_t max_frame_size) : max_frame_size_(max_frame_size) {}

void FrameReader::Feed(std::string_view bytes) {
  // Drop what was handed out before growing the buffer.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

Result<std::optional<Frame>> FrameReader::Next() {
  for (;;) {
    std::string_view rest = std::string_view(buffer_).substr(consumed_);
    if (rest.size() < 8) return std::nullopt;
    uint32_t first = GetU32(rest, 0), second = GetU32(rest, 4);
    uint8_t flags = static_cast<uint8_t>(second >> 24);
    uint32_t length = second & kMaxLength;
    if (length > max_frame_size_) {
      return Fail(Code::kInvalidArgument, "frame of {} bytes is over the {} allowed", length,
                  max_frame_size_);
    }
    if (rest.size() < 8 + size_t{length}) return std::nullopt;
    std::string_view payload = rest.substr(8, length);
    consumed_ += 8 + length;
    if (!(first & 0x80000000u)) {
      DataFrame d;
      d.stream_id = first;
      d.flags = flags;
      d.data.assign(payload);
      return Frame(std::move(d));
    }
    uint16_t version = static_cast<uint16_t>((first >> 16) & 0x7FFF);
    if (version != kVersion) {
      return Fail(Code::kInvalidArgument, "SPDY version {} (this is version 3)", version);
    }
    CAPSTAN_ASSIGN_OR_RETURN(auto frame,
                             ParseControl(static_cast<uint16_t>(first & 0xFFFF), flags, payload));
    if (frame) return frame;
    // An unknown control frame: skipped.
  }
}

Result<std::optional<Frame>> FrameReader::ParseControl(uint16_t type, uint8_t flags,
                                                       std::string_view p) {
  auto need = [&](size_t n) -> Status {
    if (p.size() < n) {
      return Fail(Code::kInvalidArgument, "control frame type {} is too short ({} bytes)", type,
                  p.size());
    }
    return Ok();
  };
  auto exactly = [&](size_t n) -> Status {
    if (p.size() != n) {
      return Fail(Code::kInvalidArgument, "control frame type {} has {} bytes, not {}", type,
                  p.size(), n);
    }
    return Ok();
  };
  constexpr uint32_t kId = 0x7FFFFFFF;
  switch (static_cast<ControlType>(type)) {
    case ControlType::kSynStream: {
      CAPSTAN_TRY(need(10));
      SynStream s;
      s.stream_id = GetU32(p, 0) & kId;
      s.associated_stream_id = GetU32(p, 4) & kId;
      s.priority = static_cast<uint8_t>(static_cast<unsigned char>(p[8]) >> 5);
      s.flags = flags;
      CAPSTAN_ASSIGN_OR_RETURN(s.headers, decompressor_.Decompress(p.substr(10)));
      return Frame(std::move(s));
    }
    case ControlType::kSynReply: {
      CAPSTAN_TRY(need(4));
      SynReply r;
      r.stream_id = GetU32(p, 0) & kId;
      r.flags = flags;
      CAPSTAN_ASSIGN_OR_RETURN(r.headers, decompressor_.Decompress(p.substr(4)));
      return Frame(std::move(r));
    }
    case ControlType::kRstStream: {
      CAPSTAN_TRY(exactly(8));
      return Frame(RstStream{GetU32(p, 0) & kId, GetU32(p, 4)});
    }
    case ControlType::kSettings: {
      CAPSTAN_TRY(need(4));
      uint32_t n = GetU32(p, 0);
      if (p.size() != 4 + size_t{n} * 8) {
        return Fail(Code::kInvalidArgument, "SETTINGS with {} entries has {} bytes", n, p.size());
      }
      Settings s;
      s.flags = flags;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t head = GetU32(p, 4 + i * 8);
        s.entries.push_back(
            {static_cast<uint8_t>(head >> 24), head & kMaxLength, GetU32(p, 8 + i * 8)});
      }
      return Frame(std::move(s));
    }
    case ControlType::kPing: {
      CAPSTAN_TRY(exactly(4));
      return Frame(Ping{GetU32(p, 0)});
    }
    case ControlType::kGoAway: {
      // 3.0 peers send no status: accepted.
      if (p.size() != 4 && p.size() != 8) CAPSTAN_TRY(exactly(8));
      return Frame(GoAway{GetU32(p, 0) & kId, p.size() == 8 ? GetU32(p, 4) : 0});
    }
    case ControlType::kHeaders: {
      CAPSTAN_TRY(need(4));
      Headers h;
      h.stream_id = GetU32(p, 0) & kId;
      h.flags = flags;
      CAPSTAN_ASSIGN_OR_RETURN(h.headers, decompressor_.Decompress(p.substr(4)));
      return Frame(std::move(h));
    }
    case ControlType::kWindowUpdate: {
      CAPSTAN_TRY(exactly(8));
      return Frame(WindowUpdate{GetU32(p, 0) & kId, GetU32(p, 4) & kId});
    }
  }
  return std::optional<Frame>();
}

}  // namespace capstan::spdy

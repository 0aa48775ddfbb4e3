// Remote-command channels over SPDY: the client opens one stream per channel, naming it in
// its "streamtype" header; we accept each with a SYN_REPLY. At the end stdout and stderr
// are half-closed, the error stream carries the outcome, and GOAWAY follows.
#include <nlohmann/json.hpp>

#include "cri/streaming/client_channels.h"
#include "cri/streaming/spdy_connection.h"

namespace capstan::cri::streaming {

std::vector<std::pair<uint16_t, uint16_t>> TakeTerminalSizes(std::string& buffer) {
  std::vector<std::pair<uint16_t, uint16_t>> sizes;
  size_t end;
  while ((end = buffer.find('}')) != std::string::npos) {
    auto j = nlohmann::json::parse(buffer.substr(0, end + 1), nullptr, false);
    buffer.erase(0, end + 1);
    if (!j.is_object()) continue;
    auto w = j.value("Width", 0), h = j.value("Height", 0);
    if (w >= 0 && h >= 0) {
      sizes.emplace_back(static_cast<uint16_t>(std::min(w, 65535)),
                         static_cast<uint16_t>(std::min(h, 65535)));
    }
  }
  if (buffer.size() > 4096) buffer.clear();  // not JSON we understand
  return sizes;
}

namespace {

class SpdyChannels : public ClientChannels {
 public:
  SpdyChannels(int fd, std::string_view leftover, const std::string& protocol,
               const StreamRequest& request)
      : conn_(fd, leftover), protocol_(protocol), request_(request) {}

  bool Read(ClientInput& in) override {
    auto frames = conn_.Read(in.closed);
    if (!frames) return false;
    for (auto& f : *frames) {
      if (!OnFrame(f, in)) return false;
    }
    return true;
  }

  bool Ready() const override {
    size_t have =
        (ids_[0] != 0) + (ids_[1] != 0) + (ids_[2] != 0) + (ids_[3] != 0) + (ids_[4] != 0);
    bool resizable = protocol_ == "v3.channel.k8s.io" || protocol_ == "v4.channel.k8s.io";
    size_t want =
        1 + request_.stdin + request_.stdout + request_.stderr + (request_.tty && resizable);
    return have >= want;
  }

  void Write(Channel channel, std::string_view data) override {
    uint32_t id = Id(channel);
    if (id != 0) conn_.Data(id, data);
  }

  void Finish(const std::string& error_message) override {
    if (Id(Channel::kStdout)) conn_.Data(Id(Channel::kStdout), "", true);
    if (Id(Channel::kStderr)) conn_.Data(Id(Channel::kStderr), "", true);
    if (Id(Channel::kError)) conn_.Data(Id(Channel::kError), error_message, true);
    conn_.GoAway();
  }

  size_t pending() const override { return conn_.pending(); }
  bool Flush() override { return conn_.Flush(); }
  bool StatusErrors() const override { return protocol_ == "v4.channel.k8s.io"; }

 private:
  uint32_t Id(Channel c) const { return ids_[static_cast<int>(c)]; }

  bool OnFrame(spdy::Frame& frame, ClientInput& in) {
    if (auto* syn = std::get_if<spdy::SynStream>(&frame)) {
      std::string type = spdy::HeaderValue(syn->headers, "streamtype");
      int slot = type == "stdin"    ? 0
                 : type == "stdout" ? 1
                 : type == "stderr" ? 2
                 : type == "error"  ? 3
                 : type == "resize" ? 4
                                    : -1;
      if (slot < 0 || ids_[slot] != 0) {
        conn_.Reset(syn->stream_id, spdy::kRefusedStream);
        return true;
      }
      ids_[slot] = syn->stream_id;
      conn_.Reply(syn->stream_id);
      return true;
    }
    if (auto* data = std::get_if<spdy::DataFrame>(&frame)) {
      if (data->stream_id == Id(Channel::kStdin) && data->stream_id != 0) {
        in.stdin_data += data->data;
        if (data->flags & spdy::kFlagFin) in.stdin_closed = true;
      } else if (data->stream_id == Id(Channel::kResize) && data->stream_id != 0) {
        resize_buffer_ += data->data;
        for (auto s : TakeTerminalSizes(resize_buffer_)) in.sizes.push_back(s);
      }
      return true;
    }
    if (auto* rst = std::get_if<spdy::RstStream>(&frame)) {
      // The client gave up on the stream it reads the outcome from: nobody is listening.
      return rst->stream_id != Id(Channel::kError);
    }
    return true;
  }

  SpdyConnection conn_;
  std::string protocol_;
  const StreamRequest& request_;
  uint32_t ids_[5] = {0, 0, 0, 0, 0};  // by Channel
  std::string resize_buffer_;
};

}  // namespace

std::unique_ptr<ClientChannels> NewSpdyChannels(int fd, std::string_view leftover,
                                                const std::string& protocol,
                                                const StreamRequest& request) {
  return std::make_unique<SpdyChannels>(fd, leftover, protocol, request);
}

}  // namespace capstan::cri::streaming

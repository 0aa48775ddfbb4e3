// Remote-command channels over WebSocket (Kubernetes' wsstream): every message starts with
// its channel number (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); the base64 protocols
// send text messages, the channel as a digit and the data base64-encoded. v5 adds message
// 255 <channel>: the client closed that channel (its stdin). There is no opening handshake
// per channel: an empty message on the first output channel tells the client we are ready,
// and at the end the error channel carries the outcome before the close frame.
#include <openssl/evp.h>
#include <sys/socket.h>

#include "cri/streaming/client_channels.h"
#include "cri/streaming/output_queue.h"
#include "cri/streaming/websocket.h"

namespace capstan::cri::streaming {

namespace {

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Unbase64(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  std::string buf(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.append(buf.data(), len);
  return true;
}

class WebSocketChannels : public ClientChannels {
 public:
  WebSocketChannels(int fd, std::string_view leftover, const std::string& protocol,
                    const StreamRequest& request)
      : fd_(fd), protocol_(protocol), base64_(protocol.find("base64") != std::string::npos) {
    reader_.Feed(leftover);
    // Tell the client the channels are open, as the reference server does.
    Write(request.stdout   ? Channel::kStdout
          : request.stderr ? Channel::kStderr
                           : Channel::kError,
          "");
  }

  bool Read(ClientInput& in) override {
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        reader_.Feed(std::string_view(buf, static_cast<size_t>(n)));
        if (static_cast<size_t>(n) < sizeof(buf)) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno != EAGAIN) in.closed = true;
      break;
    }
    for (;;) {
      auto msg = reader_.Next();
      if (!msg) return false;
      if (!*msg) break;
      WsMessage& m = **msg;
      if (m.opcode == WsOpcode::kPing) {
        Queue(WsFrame(WsOpcode::kPong, m.data));
        continue;
      }
      if (m.opcode == WsOpcode::kClose) {
        in.closed = true;
        continue;
      }
      if (m.opcode == WsOpcode::kPong || m.data.empty()) continue;
      int channel = static_cast<uint8_t>(m.data[0]);
      std::string data;
      if (base64_) {
        channel -= '0';
        if (!Unbase64(std::string_view(m.data).substr(1), data)) return false;
      } else {
        data = m.data.substr(1);
      }
      if (channel == 255 && protocol_ == "v5.channel.k8s.io") {
        if (!data.empty() && data[0] == 0) in.stdin_closed = true;
      } else if (channel == static_cast<int>(Channel::kStdin)) {
        in.stdin_data += data;
      } else if (channel == static_cast<int>(Channel::kResize)) {
        resize_buffer_ += data;
        for (auto s : TakeTerminalSizes(resize_buffer_)) in.sizes.push_back(s);
      }
    }
    return true;
  }

  bool Ready() const override { return true; }

  void Write(Channel channel, std::string_view data) override {
    auto num = static_cast<uint8_t>(channel);
    if (base64_) {
      Queue(WsFrame(WsOpcode::kText, std::string(1, static_cast<char>('0' + num)) + Base64(data)));
    } else {
      Queue(WsFrame(WsOpcode::kBinary, std::string(1, static_cast<char>(num)) + std::string(data)));
    }
  }

  void Finish(const std::string& error_message) override {
    if (!error_message.empty()) Write(Channel::kError, error_message);
    Queue(WsFrame(WsOpcode::kClose, std::string("\x03\xe8", 2)));  // 1000: normal closure
  }

  size_t pending() const override { return out_.pending(); }

  bool Flush() override { return out_.Flush(fd_); }

  bool StatusErrors() const override {
    return protocol_ == "v4.channel.k8s.io" || protocol_ == "v4.base64.channel.k8s.io" ||
           protocol_ == "v5.channel.k8s.io";
  }

 private:
  void Queue(const std::string& frame) { out_.Append(frame); }

  int fd_;
  std::string protocol_;
  bool base64_;
  WebSocketReader reader_;
  OutputQueue out_;
  std::string resize_buffer_;
};

}  // namespace

std::unique_ptr<ClientChannels> NewWebSocketChannels(int fd, std::string_view leftover,
                                                     const std::string& protocol,
                                                     const StreamRequest& request) {
  return std::make_unique<WebSocketChannels>(fd, leftover, protocol, request);
}

}  // namespace capstan::cri::streaming

// Exec and attach over SPDY: the client opens one SPDY stream per channel (its
// "streamtype" header says which: error, stdin, stdout, stderr, resize); once every stream
// the request asked for is there, the command's stdio is relayed to and from them. At the
// end stdout and stderr are closed, then the error stream carries the outcome (a Status in
// v4, a message before it) and the connection goes away.
#include <poll.h>
#include <sys/socket.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "cri/monitor/stdio_protocol.h"
#include "cri/streaming/sessions.h"
#include "cri/streaming/spdy_connection.h"

namespace capstan::cri::streaming {

namespace {

const log::Logger kLog("cri.streaming");
using Clock = std::chrono::steady_clock;
using monitor::StdioMessage;

// Unacknowledged bytes we let pile up in either direction before we stop reading the other
// side: a client that does not read its output slows the command down rather than our memory.
constexpr size_t kMaxBuffered = 4 << 20;

int MillisUntil(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 60000));
}

struct Channels {
  uint32_t error = 0, stdin = 0, stdout = 0, stderr = 0, resize = 0;
  size_t count() const {
    return (error != 0) + (stdin != 0) + (stdout != 0) + (stderr != 0) + (resize != 0);
  }
};

// Terminal sizes arrive on the resize stream as JSON objects, one after another
// ({"Width":80,"Height":24}); returns the complete ones.
std::vector<std::pair<uint16_t, uint16_t>> TakeSizes(std::string& buffer) {
  std::vector<std::pair<uint16_t, uint16_t>> sizes;
  size_t end;
  while ((end = buffer.find('}')) != std::string::npos) {
    auto j = nlohmann::json::parse(buffer.substr(0, end + 1), nullptr, false);
    buffer.erase(0, end + 1);
    if (j.is_object() && j.value("Width", 0) >= 0 && j.value("Height", 0) >= 0) {
      sizes.emplace_back(static_cast<uint16_t>(std::min(j.value("Width", 0), 65535)),
                         static_cast<uint16_t>(std::min(j.value("Height", 0), 65535)));
    }
  }
  if (buffer.size() > 4096) buffer.clear();  // not JSON we understand
  return sizes;
}

class RemoteCommandSession {
 public:
  RemoteCommandSession(int fd, std::string_view leftover, const std::string& protocol,
                       const StreamRequest& request, const SessionLimits& limits)
      : fd_(fd), conn_(fd, leftover), protocol_(protocol), request_(request), limits_(limits) {}

  void Run(const std::function<Result<StdioConnection>()>& open) {
    if (!WaitForStreams()) return;
    auto stdio = open();
    if (!stdio) {
      Finish(-1, stdio.error().message());
      return;
    }
    stdio_ = std::move(*stdio);
    Pump();
    stdio_.socket.Reset();
    if (stdio_.release) stdio_.release();
  }

 private:
  size_t ExpectedStreams() const {
    bool resizable = protocol_ == "v3.channel.k8s.io" || protocol_ == "v4.channel.k8s.io";
    return 1 + request_.stdin + request_.stdout + request_.stderr + (request_.tty && resizable);
  }

  // Handles one client frame; false when the session must end.
  bool OnFrame(spdy::Frame& frame) {
    if (auto* syn = std::get_if<spdy::SynStream>(&frame)) {
      std::string type = spdy::HeaderValue(syn->headers, "streamtype");
      uint32_t* slot = type == "error"    ? &ch_.error
                       : type == "stdin"  ? &ch_.stdin
                       : type == "stdout" ? &ch_.stdout
                       : type == "stderr" ? &ch_.stderr
                       : type == "resize" ? &ch_.resize
                                          : nullptr;
      if (slot == nullptr || *slot != 0) {
        conn_.Reset(syn->stream_id, spdy::kRefusedStream);
        return true;
      }
      *slot = syn->stream_id;
      conn_.Reply(syn->stream_id);
      return true;
    }
    if (auto* data = std::get_if<spdy::DataFrame>(&frame)) {
      if (data->stream_id == ch_.stdin && ch_.stdin != 0) {
        for (size_t at = 0; at < data->data.size(); at += monitor::kMaxStdioPayload) {
          QueueStdio(monitor::StdioPacket(
              StdioMessage::kStdin,
              std::string_view(data->data).substr(at, monitor::kMaxStdioPayload)));
        }
        if (data->flags & spdy::kFlagFin)
          QueueStdio(monitor::StdioPacket(StdioMessage::kStdinClose));
      } else if (data->stream_id == ch_.resize && ch_.resize != 0) {
        resize_buffer_ += data->data;
        for (auto [w, h] : TakeSizes(resize_buffer_)) QueueStdio(monitor::ResizePacket(w, h));
      }
      return true;
    }
    if (auto* rst = std::get_if<spdy::RstStream>(&frame)) {
      // The client gave up on a stream it needs (kubectl resets them as it tears down).
      return rst->stream_id != ch_.error;
    }
    return true;
  }

  void QueueStdio(std::string packet) {
    stdio_out_bytes_ += packet.size();
    stdio_out_.push_back(std::move(packet));
  }

  // Phase one: the client opens its streams (kubectl opens error first, then the others).
  bool WaitForStreams() {
    auto deadline = Clock::now() + limits_.stream_creation_timeout;
    while (ch_.count() < ExpectedStreams()) {
      if (Clock::now() >= deadline) {
        kLog.Warn("client did not open its streams in time",
                  {{"have", ch_.count()}, {"want", ExpectedStreams()}});
        return false;
      }
      pollfd p{fd_, static_cast<short>(POLLIN | (conn_.pending() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, MillisUntil(deadline)) < 0 && errno != EINTR) return false;
      bool closed = false;
      auto frames = conn_.Read(closed);
      if (!frames) return false;
      for (auto& f : *frames) {
        if (!OnFrame(f)) return false;
      }
      if (!conn_.Flush() || closed) return false;
    }
    return true;
  }

  // Phase two: relay until the command exits, the client leaves or nothing moves for too long.
  void Pump() {
    auto last_activity = Clock::now();
    char buf[monitor::kMaxStdioPayload + 16];
    for (;;) {
      pollfd p[2];
      p[0] = {fd_,
              static_cast<short>((stdio_out_bytes_ < kMaxBuffered ? POLLIN : 0) |
                                 (conn_.pending() ? POLLOUT : 0)),
              0};
      p[1] = {stdio_.socket.get(),
              static_cast<short>((conn_.pending() < kMaxBuffered ? POLLIN : 0) |
                                 (stdio_out_.empty() ? 0 : POLLOUT)),
              0};
      auto idle_deadline = last_activity + limits_.idle_timeout;
      int ready = ::poll(p, 2, MillisUntil(idle_deadline));
      if (ready < 0 && errno != EINTR) return;
      if (ready == 0) {
        if (Clock::now() >= idle_deadline) {
          kLog.Info("closing an idle stream", {{"container", request_.container_id}});
          return;
        }
        continue;
      }
      last_activity = Clock::now();
      if (p[0].revents) {
        bool closed = false;
        auto frames = conn_.Read(closed);
        if (!frames) return;
        for (auto& f : *frames) {
          if (!OnFrame(f)) return;
        }
        if (closed) return;  // the client went away: closing the stdio socket ends the exec
      }
      while (!stdio_out_.empty()) {
        const std::string& packet = stdio_out_.front();
        ssize_t n =
            ::send(stdio_.socket.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (n < 0) {
          stdio_out_.clear();  // the holder is gone; its end shows up as EOF below
          stdio_out_bytes_ = 0;
          break;
        }
        stdio_out_bytes_ -= packet.size();
        stdio_out_.pop_front();
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(stdio_.socket.get(), buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          // The holder went without an exit message: an attached container ended (its
          // monitor closes), or an exec helper died.
          Finish(request_.kind == StreamRequest::Kind::kAttach ? 0 : -1,
                 request_.kind == StreamRequest::Kind::kAttach ? "" : "the exec helper ended");
          return;
        }
        if (n > 0 && !OnStdio(std::string_view(buf, static_cast<size_t>(n)))) return;
      }
      if (!conn_.Flush()) return;
    }
  }

  // A packet from the stdio holder; false once the exchange is over.
  bool OnStdio(std::string_view packet) {
    auto type = static_cast<StdioMessage>(packet[0]);
    std::string_view payload = packet.substr(1);
    if (type == StdioMessage::kStdout || type == StdioMessage::kStderr) {
      // With a terminal everything is stdout; a client that did not ask for a stream does
      // not get its bytes.
      uint32_t id = type == StdioMessage::kStderr && ch_.stderr ? ch_.stderr : ch_.stdout;
      if (type == StdioMessage::kStderr && !ch_.stderr && !request_.tty) id = 0;
      if (id != 0) conn_.Data(id, payload);
      return true;
    }
    if (type == StdioMessage::kExit && payload.size() >= 4) {
      Finish(static_cast<int>(monitor::StdioU32(payload, 0)), std::string(payload.substr(4)));
      return false;
    }
    return true;
  }

  // Ends the exchange: output streams closed, the outcome on the error stream, then GOAWAY
  // once the client has had a moment to read it all.
  void Finish(int exit_code, const std::string& error) {
    if (ch_.stdout) conn_.Data(ch_.stdout, "", true);
    if (ch_.stderr) conn_.Data(ch_.stderr, "", true);
    if (ch_.error) {
      std::string message;
      if (protocol_ == "v4.channel.k8s.io") {
        message = ExitStatusJson(exit_code, error, request_.cmd);
      } else if (!error.empty()) {
        message = error;
      } else if (exit_code != 0) {
        message =
            "command terminated with non-zero exit code: exit status " + std::to_string(exit_code);
      }
      conn_.Data(ch_.error, message, true);
    }
    conn_.GoAway();
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (conn_.pending() > 0 && Clock::now() < deadline) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, MillisUntil(deadline));
      if (!conn_.Flush()) return;
    }
  }

  int fd_;
  SpdyConnection conn_;
  std::string protocol_;
  const StreamRequest& request_;
  SessionLimits limits_;
  Channels ch_;
  StdioConnection stdio_;
  std::deque<std::string> stdio_out_;
  size_t stdio_out_bytes_ = 0;
  std::string resize_buffer_;
};

}  // namespace

std::string ExitStatusJson(int exit_code, const std::string& error,
                           const std::vector<std::string>& cmd) {
  nlohmann::json status = {{"metadata", nlohmann::json::object()}};
  if (error.empty() && exit_code == 0) {
    status["status"] = "Success";
    return status.dump();
  }
  status["status"] = "Failure";
  if (!error.empty()) {
    status["message"] = "Internal error occurred: " + error;
    status["reason"] = "InternalError";
    status["details"] = {{"causes", {{{"message", error}}}}};
    status["code"] = 500;
    return status.dump();
  }
  std::string joined;
  for (const auto& a : cmd) joined += (joined.empty() ? "" : " ") + a;
  status["message"] = "command terminated with non-zero exit code: error executing command [" +
                      joined + "], exit code " + std::to_string(exit_code);
  status["reason"] = "NonZeroExitCode";
  status["details"] = {
      {"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(exit_code)}}}}};
  return status.dump();
}

void ServeRemoteCommandSpdy(int fd, std::string_view leftover, const std::string& protocol,
                            const StreamRequest& request, const SessionLimits& limits,
                            const std::function<Result<StdioConnection>()>& open) {
  RemoteCommandSession(fd, leftover, protocol, request, limits).Run(open);
}

}  // namespace capstan::cri::streaming

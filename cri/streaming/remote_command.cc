// Exec and attach: once the client's channels are open (client_channels.h: SPDY streams or
// WebSocket messages), the command's stdio is relayed to and from them through the stdio
// holder (the exec helper, or the container's monitor). At the end the output channels
// close, then the error channel carries the outcome (a Status in v4 and v5, a message
// before them) and the connection goes away.
#include <poll.h>
#include <sys/socket.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "cri/monitor/stdio_protocol.h"
#include "cri/streaming/client_channels.h"
#include "cri/streaming/sessions.h"

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

class RemoteCommandSession {
 public:
  RemoteCommandSession(int fd, ClientChannels& client, const StreamRequest& request,
                       const SessionLimits& limits)
      : fd_(fd), client_(client), request_(request), limits_(limits) {}

  void Run(const std::function<Result<StdioConnection>()>& open) {
    if (!WaitForChannels()) return;
    auto stdio = open();
    if (!stdio) {
      Finish(-1, stdio.error().message());
      return;
    }
    stdio_ = std::move(*stdio);
    ApplyInput(early_);
    Pump();
    stdio_.socket.Reset();
    if (stdio_.release) stdio_.release();
  }

 private:
  // Phase one: the client opens its channels (a SPDY client one stream at a time).
  bool WaitForChannels() {
    auto deadline = Clock::now() + limits_.stream_creation_timeout;
    while (!client_.Ready()) {
      if (Clock::now() >= deadline) {
        kLog.Warn("client did not open its streams in time",
                  {{"container", request_.container_id}});
        return false;
      }
      pollfd p{fd_, static_cast<short>(POLLIN | (client_.pending() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, MillisUntil(deadline)) < 0 && errno != EINTR) return false;
      if (!client_.Read(early_) || !client_.Flush() || early_.closed) return false;
    }
    return true;
  }

  // Client input as stdio packets for the holder.
  void ApplyInput(ClientInput& in) {
    for (size_t at = 0; at < in.stdin_data.size(); at += monitor::kMaxStdioPayload) {
      QueueStdio(monitor::StdioPacket(
          StdioMessage::kStdin,
          std::string_view(in.stdin_data).substr(at, monitor::kMaxStdioPayload)));
    }
    if (in.stdin_closed) QueueStdio(monitor::StdioPacket(StdioMessage::kStdinClose));
    for (auto [w, h] : in.sizes) QueueStdio(monitor::ResizePacket(w, h));
    in.stdin_data.clear();
    in.stdin_closed = false;
    in.sizes.clear();
  }

  void QueueStdio(std::string packet) {
    stdio_out_bytes_ += packet.size();
    stdio_out_.push_back(std::move(packet));
  }

  // Phase two: relay until the command exits, the client leaves or nothing moves for too long.
  void Pump() {
    auto last_activity = Clock::now();
    char buf[monitor::kMaxStdioPayload + 16];
    for (;;) {
      pollfd p[2];
      p[0] = {fd_,
              static_cast<short>((stdio_out_bytes_ < kMaxBuffered ? POLLIN : 0) |
                                 (client_.pending() ? POLLOUT : 0)),
              0};
      p[1] = {stdio_.socket.get(),
              static_cast<short>((client_.pending() < kMaxBuffered ? POLLIN : 0) |
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
        ClientInput in;
        if (!client_.Read(in)) return;
        ApplyInput(in);
        if (in.closed) return;  // the client went away: closing the stdio socket ends the exec
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
          bool attach = request_.kind == StreamRequest::Kind::kAttach;
          Finish(attach ? 0 : -1, attach ? "" : "the exec helper ended");
          return;
        }
        if (n > 0 && !OnStdio(std::string_view(buf, static_cast<size_t>(n)))) return;
      }
      if (!client_.Flush()) return;
    }
  }

  // A packet from the stdio holder; false once the exchange is over.
  bool OnStdio(std::string_view packet) {
    auto type = static_cast<StdioMessage>(packet[0]);
    std::string_view payload = packet.substr(1);
    if (type == StdioMessage::kStdout) {
      if (request_.stdout) client_.Write(Channel::kStdout, payload);
      return true;
    }
    if (type == StdioMessage::kStderr) {
      // With a terminal everything is stdout; a client that did not ask for a stream does
      // not get its bytes.
      if (request_.stderr) {
        client_.Write(Channel::kStderr, payload);
      } else if (request_.tty && request_.stdout) {
        client_.Write(Channel::kStdout, payload);
      }
      return true;
    }
    if (type == StdioMessage::kExit && payload.size() >= 4) {
      Finish(static_cast<int>(monitor::StdioU32(payload, 0)), std::string(payload.substr(4)));
      return false;
    }
    return true;
  }

  // Ends the exchange with its outcome, then waits a moment for the client to read it all.
  void Finish(int exit_code, const std::string& error) {
    std::string message;
    if (client_.StatusErrors()) {
      message = ExitStatusJson(exit_code, error, request_.cmd);
    } else if (!error.empty()) {
      message = error;
    } else if (exit_code != 0) {
      message =
          "command terminated with non-zero exit code: exit status " + std::to_string(exit_code);
    }
    client_.Finish(message);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (client_.pending() > 0 && Clock::now() < deadline) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, MillisUntil(deadline));
      if (!client_.Flush()) return;
    }
  }

  int fd_;
  ClientChannels& client_;
  const StreamRequest& request_;
  SessionLimits limits_;
  ClientInput early_;  // input that came while the channels were being opened
  StdioConnection stdio_;
  std::deque<std::string> stdio_out_;
  size_t stdio_out_bytes_ = 0;
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
  auto client = NewSpdyChannels(fd, leftover, protocol, request);
  RemoteCommandSession(fd, *client, request, limits).Run(open);
}

void ServeRemoteCommandWebSocket(int fd, std::string_view leftover, const std::string& protocol,
                                 const StreamRequest& request, const SessionLimits& limits,
                                 const std::function<Result<StdioConnection>()>& open) {
  auto client = NewWebSocketChannels(fd, leftover, protocol, request);
  RemoteCommandSession(fd, *client, request, limits).Run(open);
}

}  // namespace capstan::cri::streaming

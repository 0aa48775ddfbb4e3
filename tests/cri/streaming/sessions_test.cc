// The remote-command session against a fake stdio holder, over a socketpair standing in for
// the upgraded client connection: the parts that need no container.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/spdy/frame.h"
#include "cri/monitor/stdio_protocol.h"
#include "cri/streaming/sessions.h"

namespace capstan::cri::streaming {
namespace {

using monitor::StdioMessage;

TEST(ExitStatusJson, SuccessFailureAndInternalErrors) {
  auto ok = nlohmann::json::parse(ExitStatusJson(0, "", {"true"}));
  EXPECT_EQ(ok["status"], "Success");
  auto failed = nlohmann::json::parse(ExitStatusJson(2, "", {"sh", "-c", "exit 2"}));
  EXPECT_EQ(failed["status"], "Failure");
  EXPECT_EQ(failed["reason"], "NonZeroExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(failed["details"]["causes"][0]["message"], "2");
  auto internal = nlohmann::json::parse(ExitStatusJson(127, "exec: no such file", {"x"}));
  EXPECT_EQ(internal["reason"], "InternalError");
  EXPECT_EQ(internal["code"], 500);
}

// The client end of a session: frames out, frames in.
struct Client {
  explicit Client(int f) : fd(f) {}
  int fd;
  spdy::FrameWriter writer;
  spdy::FrameReader reader;
  std::map<uint32_t, std::string> data;
  std::set<uint32_t> fin;
  bool go_away = false;

  void Send(const spdy::Frame& f) {
    auto bytes = writer.Encode(f);
    ASSERT_TRUE(bytes);
    ASSERT_EQ(::send(fd, bytes->data(), bytes->size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes->size()));
  }
  void Open(uint32_t id, const std::string& type) {
    spdy::SynStream syn;
    syn.stream_id = id;
    syn.headers = {{"streamtype", type}};
    Send(syn);
  }
  // Reads until the session said GOAWAY or closed.
  void ReadAll() {
    char buf[65536];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      reader.Feed(std::string_view(buf, static_cast<size_t>(n)));
      while (auto f = reader.Next()) {
        if (!*f) break;
        if (auto* d = std::get_if<spdy::DataFrame>(&**f)) {
          data[d->stream_id] += d->data;
          if (d->flags & spdy::kFlagFin) fin.insert(d->stream_id);
        }
        if (std::holds_alternative<spdy::GoAway>(**f)) go_away = true;
      }
      if (go_away) return;
    }
  }
};

TEST(RemoteCommandSession, RelaysStdioAndEndsWithTheStatus) {
  int client_sp[2], stdio_sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client_sp), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, stdio_sp), 0);
  UniqueFd client_end(client_sp[0]), server_end(client_sp[1]), holder(stdio_sp[0]);
  int session_stdio = stdio_sp[1];
  ::fcntl(server_end.get(), F_SETFL, O_NONBLOCK);
  StreamRequest req;
  req.cmd = {"cat"};
  req.stdin = req.stdout = req.stderr = true;
  bool released = false;
  std::thread session([&] {
    ServeRemoteCommandSpdy(server_end.get(), "", "v4.channel.k8s.io", req, SessionLimits{}, [&] {
      StdioConnection c;
      c.socket.Reset(session_stdio);
      c.release = [&] { released = true; };
      return Result<StdioConnection>(std::move(c));
    });
  });
  Client c(client_end.get());
  c.Open(1, "error");
  c.Open(3, "stdin");
  c.Open(5, "stdout");
  c.Open(7, "stderr");
  c.Send(spdy::DataFrame{3, spdy::kFlagFin, "typed"});
  // The holder sees the input, then the close, and answers as an exec helper would.
  char buf[64 * 1024];
  ssize_t n = ::recv(holder.get(), buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), monitor::StdioPacket(StdioMessage::kStdin, "typed"));
  n = ::recv(holder.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), monitor::StdioPacket(StdioMessage::kStdinClose));
  std::string out = monitor::StdioPacket(StdioMessage::kStdout, "typed");
  std::string err = monitor::StdioPacket(StdioMessage::kStderr, "warn");
  std::string exit = monitor::ExitPacket(1, "");
  ::send(holder.get(), out.data(), out.size(), 0);
  ::send(holder.get(), err.data(), err.size(), 0);
  ::send(holder.get(), exit.data(), exit.size(), 0);
  c.ReadAll();
  session.join();
  EXPECT_TRUE(released);
  EXPECT_EQ(c.data[5], "typed");
  EXPECT_EQ(c.data[7], "warn");
  EXPECT_TRUE(c.fin.count(1) && c.fin.count(5) && c.fin.count(7));
  EXPECT_EQ(nlohmann::json::parse(c.data[1])["details"]["causes"][0]["message"], "1");
  EXPECT_TRUE(c.go_away);
}

TEST(RemoteCommandSession, AClientThatNeverOpensItsStreamsIsDropped) {
  int client_sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client_sp), 0);
  UniqueFd client_end(client_sp[0]), server_end(client_sp[1]);
  ::fcntl(server_end.get(), F_SETFL, O_NONBLOCK);
  StreamRequest req;
  req.stdout = true;
  SessionLimits limits;
  limits.stream_creation_timeout = std::chrono::milliseconds(100);
  bool opened = false;
  ServeRemoteCommandSpdy(server_end.get(), "", "v4.channel.k8s.io", req, limits, [&] {
    opened = true;
    return Result<StdioConnection>(Fail(Code::kInternal, "not expected"));
  });
  EXPECT_FALSE(opened);
}

TEST(RemoteCommandSession, ResizesReachTheHolder) {
  int client_sp[2], stdio_sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client_sp), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, stdio_sp), 0);
  UniqueFd client_end(client_sp[0]), server_end(client_sp[1]), holder(stdio_sp[0]);
  int session_stdio = stdio_sp[1];
  ::fcntl(server_end.get(), F_SETFL, O_NONBLOCK);
  StreamRequest req;
  req.tty = req.stdin = req.stdout = true;
  std::thread session([&] {
    ServeRemoteCommandSpdy(server_end.get(), "", "v4.channel.k8s.io", req, SessionLimits{}, [&] {
      StdioConnection c;
      c.socket.Reset(session_stdio);
      return Result<StdioConnection>(std::move(c));
    });
  });
  Client c(client_end.get());
  c.Open(1, "error");
  c.Open(3, "stdin");
  c.Open(5, "stdout");
  c.Open(7, "resize");
  // Two sizes, the second split across frames, and junk the session must survive.
  c.Send(spdy::DataFrame{7, 0, R"({"Width":80,"Height":24}{"Width":1)"});
  c.Send(spdy::DataFrame{7, 0, R"(20,"Height":40}not json})"});
  char buf[1024];
  ssize_t n = ::recv(holder.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), monitor::ResizePacket(80, 24));
  n = ::recv(holder.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), monitor::ResizePacket(120, 40));
  holder.Reset();  // the holder went away: the session ends
  c.ReadAll();
  session.join();
  EXPECT_TRUE(c.fin.count(1));
}

// A v5 WebSocket client: binary messages with a channel byte, stdin closed by 255 0.
TEST(RemoteCommandSession, WebSocketV5ChannelsAndTheirCloseSignal) {
  int client_sp[2], stdio_sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client_sp), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, stdio_sp), 0);
  UniqueFd client_end(client_sp[0]), server_end(client_sp[1]), holder(stdio_sp[0]);
  int session_stdio = stdio_sp[1];
  ::fcntl(server_end.get(), F_SETFL, O_NONBLOCK);
  StreamRequest req;
  req.cmd = {"cat"};
  req.stdin = req.stdout = req.stderr = true;
  std::thread session([&] {
    ServeRemoteCommandWebSocket(server_end.get(), "", "v5.channel.k8s.io", req, SessionLimits{},
                                [&] {
                                  StdioConnection c;
                                  c.socket.Reset(session_stdio);
                                  return Result<StdioConnection>(std::move(c));
                                });
  });
  auto masked = [](std::string payload) {
    std::string out = "\x82";
    out.push_back(static_cast<char>(0x80 | payload.size()));
    out += std::string(4, '\0');  // a zero mask leaves the bytes as they are
    return out + payload;
  };
  std::string in = masked(std::string("\x00typed", 6)) + masked(std::string("\xff\x00", 2));
  ASSERT_EQ(::send(client_end.get(), in.data(), in.size(), 0), static_cast<ssize_t>(in.size()));
  char buf[1024];
  ssize_t n = ::recv(holder.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), monitor::StdioPacket(StdioMessage::kStdin, "typed"));
  n = ::recv(holder.get(), buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, n), monitor::StdioPacket(StdioMessage::kStdinClose));
  std::string out = monitor::StdioPacket(StdioMessage::kStdout, "typed");
  std::string exit = monitor::ExitPacket(0, "");
  ::send(holder.get(), out.data(), out.size(), 0);
  ::send(holder.get(), exit.data(), exit.size(), 0);
  session.join();
  // The client reads: the empty "ready" message on stdout, the output, the status, a close.
  std::string got;
  while ((n = ::recv(client_end.get(), buf, sizeof(buf), MSG_DONTWAIT)) > 0) got.append(buf, n);
  EXPECT_EQ(got.substr(0, 3), std::string("\x82\x01\x01", 3));
  EXPECT_EQ(got.substr(3, 8), std::string("\x82\x06\x01typed", 8));
  EXPECT_NE(got.find("\x03{\"metadata\":{},\"status\":\"Success\"}"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 4), std::string("\x88\x02\x03\xe8", 4));
}

}  // namespace
}  // namespace capstan::cri::streaming

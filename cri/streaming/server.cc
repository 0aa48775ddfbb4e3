#include "cri/streaming/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "cri/streaming/websocket.h"

namespace capstan::cri::streaming {

namespace http = boost::beast::http;

namespace {

const log::Logger kLog("cri.streaming");
constexpr size_t kMaxHeaderBytes = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

// Every value of a header, split at commas (a header may repeat, or list several).
std::vector<std::string> HeaderValues(const http::request<http::empty_body>& req,
                                      std::string_view name) {
  std::vector<std::string> out;
  for (const auto& field : req) {
    if (Lower(std::string(field.name_string())) != Lower(name)) continue;
    std::string value(field.value());
    std::string_view v = value;
    size_t at = 0;
    while (at <= v.size()) {
      size_t comma = v.find(',', at);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view item = v.substr(at, comma - at);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      at = comma + 1;
    }
  }
  return out;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Reply(int fd, int status, std::string_view reason, std::string_view body) {
  SendAll(fd, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                  std::string(body));
}

}  // namespace

class StreamingServer::Impl {
 public:
  Impl(StreamingOptions options, StreamingBackend* backend)
      : options_(std::move(options)), backend_(backend) {}

  Status Init() {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (::inet_pton(AF_INET, options_.address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<uint16_t>(options_.port));
      len = sizeof(*v4);
    } else if (::inet_pton(AF_INET6, options_.address.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(static_cast<uint16_t>(options_.port));
      len = sizeof(*v6);
    } else {
      return Fail(Code::kInvalidArgument, "streaming address {:?} is not an IP address",
                  options_.address);
    }
    listener_.Reset(::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_.get(), 128) != 0) {
      return FailErrno("listening for streams on {}:{}", options_.address, options_.port);
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof(bound);
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
    port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    std::string host = options_.address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    base_url_ = "http://" + host + ":" + std::to_string(port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return Ok();
  }

  Result<std::string> Url(StreamRequest request) {
    const char* path = request.kind == StreamRequest::Kind::kExec     ? "/exec/"
                       : request.kind == StreamRequest::Kind::kAttach ? "/attach/"
                                                                      : "/portforward/";
    CAPSTAN_ASSIGN_OR_RETURN(std::string token, tokens_.Insert(std::move(request)));
    return base_url_ + path + token;
  }

  int port() const { return port_; }
  size_t active() const {
    std::lock_guard lock(mu_);
    return open_.size();
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock lock(mu_);
    for (const auto& [id, fd] : open_) ::shutdown(fd, SHUT_RDWR);
    done_.wait(lock, [this] { return open_.empty(); });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        if (errno != EINTR && errno != ECONNABORTED) {
          kLog.Warn("accept", {{"error", std::strerror(errno)}});
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        continue;
      }
      UniqueFd conn(fd);
      uint64_t id;
      {
        std::lock_guard lock(mu_);
        if (open_.size() >= options_.max_streams) {
          Reply(fd, 503, "Service Unavailable", "too many streams\n");
          continue;
        }
        id = ++next_id_;
        open_[id] = fd;
      }
      std::thread([this, id, c = std::move(conn)]() mutable {
        Serve(c.get());
        std::lock_guard lock(mu_);
        open_.erase(id);
        c.Reset();
        done_.notify_all();
      }).detach();
    }
  }

  void Serve(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The request line and headers, within the deadline.
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    std::string buffer;
    auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
    while (!parser.is_header_done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      buffer.append(buf, static_cast<size_t>(n));
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(buffer), ec);
      if (ec == http::error::need_more) ec = {};
      if (ec) {
        Reply(fd, 400, "Bad Request", "malformed request\n");
        return;
      }
      buffer.erase(0, used);
    }
    const auto& req = parser.get();
    if (req.method() != http::verb::get && req.method() != http::verb::post) {
      Reply(fd, 405, "Method Not Allowed", "only GET and POST\n");
      return;
    }
    std::string target(req.target());
    target = target.substr(0, target.find('?'));
    std::string kind_path = target.substr(0, target.find('/', 1) + 1);
    std::string token = target.substr(kind_path.size());
    StreamRequest::Kind kind;
    if (kind_path == "/exec/") {
      kind = StreamRequest::Kind::kExec;
    } else if (kind_path == "/attach/") {
      kind = StreamRequest::Kind::kAttach;
    } else if (kind_path == "/portforward/") {
      kind = StreamRequest::Kind::kPortForward;
    } else {
      Reply(fd, 404, "Not Found", "404 page not found\n");
      return;
    }
    auto request = tokens_.Consume(token);
    if (!request || request->kind != kind) {
      // As containerd: an unknown, used or expired token is simply not found.
      Reply(fd, 404, "Not Found", "unknown or expired token\n");
      return;
    }
    std::string upgrade_to;
    for (const auto& v : HeaderValues(req, "upgrade")) {
      if (Lower(v) == "spdy/3.1" || Lower(v) == "websocket") upgrade_to = Lower(v);
    }
    bool upgrade = false;
    for (const auto& v : HeaderValues(req, "connection"))
      upgrade = upgrade || Lower(v) == "upgrade";
    if (upgrade_to.empty() || !upgrade) {
      Reply(fd, 400, "Bad Request", "unable to upgrade: missing upgrade headers in request\n");
      return;
    }
    if (upgrade_to == "websocket") {
      ServeWebSocket(fd, req, kind, *request, buffer);
      return;
    }
    // The first protocol the client offers that we speak; none offered means the original.
    auto offered = HeaderValues(req, "x-stream-protocol-version");
    std::string protocol;
    if (kind == StreamRequest::Kind::kPortForward) {
      if (!offered.empty() &&
          std::find(offered.begin(), offered.end(), kPortForwardProtocol) == offered.end()) {
        Reply(fd, 403, "Forbidden", "unable to upgrade: unable to negotiate protocol\n");
        return;
      }
      protocol = kPortForwardProtocol;
    } else if (offered.empty()) {
      protocol = "channel.k8s.io";
    } else {
      for (const auto& o : offered) {
        for (auto p : kRemoteCommandProtocols) {
          if (protocol.empty() && o == p) protocol = p;
        }
      }
      if (protocol.empty()) {
        Reply(fd, 403, "Forbidden",
              "unable to upgrade: unable to negotiate protocol: server accepts "
              "v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io\n");
        return;
      }
    }
    if (!SendAll(fd,
                 "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                 "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: " +
                     protocol + "\r\n\r\n")) {
      return;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    LogStream(*request, "spdy/" + protocol);
    if (kind == StreamRequest::Kind::kPortForward) {
      ServePortForwardSpdy(fd, buffer, *request, options_.limits, [&](int32_t port) {
        return backend_->DialPort(request->sandbox_id, port);
      });
      return;
    }
    ServeRemoteCommandSpdy(fd, buffer, protocol, *request, options_.limits, [&] {
      return kind == StreamRequest::Kind::kExec ? backend_->OpenExec(*request)
                                                : backend_->OpenAttach(*request);
    });
  }

  static void LogStream(const StreamRequest& r, const std::string& protocol) {
    const char* kind = r.kind == StreamRequest::Kind::kExec     ? "exec"
                       : r.kind == StreamRequest::Kind::kAttach ? "attach"
                                                                : "port-forward";
    kLog.Info("stream",
              {{"kind", kind},
               {"id", r.kind == StreamRequest::Kind::kPortForward ? r.sandbox_id : r.container_id},
               {"protocol", protocol}});
  }

  // A WebSocket upgrade (RFC 6455): exec and attach speak the channel protocols, port-forward
  // the SPDY tunnel kubectl 1.31+ uses.
  void ServeWebSocket(int fd, const http::request<http::empty_body>& req, StreamRequest::Kind kind,
                      const StreamRequest& request, const std::string& leftover) {
    auto keys = HeaderValues(req, "sec-websocket-key");
    auto versions = HeaderValues(req, "sec-websocket-version");
    if (keys.size() != 1 || versions.empty() || versions[0] != "13") {
      Reply(fd, 400, "Bad Request", "websocket: missing or bad Sec-WebSocket-Key or Version\n");
      return;
    }
    auto offered = HeaderValues(req, "sec-websocket-protocol");
    std::string protocol;
    if (kind == StreamRequest::Kind::kPortForward) {
      if (std::find(offered.begin(), offered.end(), kPortForwardTunnelProtocol) != offered.end()) {
        protocol = kPortForwardTunnelProtocol;
      }
    } else if (offered.empty()) {
      protocol = "channel.k8s.io";
    } else {
      for (const auto& o : offered) {
        for (auto p : kWebSocketRemoteCommandProtocols) {
          if (protocol.empty() && o == p) protocol = p;
        }
      }
    }
    if (protocol.empty()) {
      // Clients that also speak SPDY (kubectl) fall back to it on this answer.
      Reply(fd, 400, "Bad Request", "websocket: unable to negotiate a subprotocol\n");
      return;
    }
    if (!SendAll(fd,
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                     WsAccept(keys[0]) + "\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n")) {
      return;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    LogStream(request, "websocket/" + protocol);
    if (kind == StreamRequest::Kind::kPortForward) {
      ServePortForwardSpdy(
          fd, leftover, request, options_.limits,
          [&](int32_t port) { return backend_->DialPort(request.sandbox_id, port); }, true);
      return;
    }
    ServeRemoteCommandWebSocket(fd, leftover, protocol, request, options_.limits, [&] {
      return kind == StreamRequest::Kind::kExec ? backend_->OpenExec(request)
                                                : backend_->OpenAttach(request);
    });
  }

  StreamingOptions options_;
  StreamingBackend* backend_;
  TokenCache tokens_;
  UniqueFd listener_;
  int port_ = 0;
  std::string base_url_;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::map<uint64_t, int> open_;
  uint64_t next_id_ = 0;
};

StreamingServer::StreamingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamingServer::~StreamingServer() { Stop(); }
Result<std::string> StreamingServer::Url(StreamRequest request) {
  return impl_->Url(std::move(request));
}
int StreamingServer::port() const { return impl_->port(); }
size_t StreamingServer::active_streams() const { return impl_->active(); }
void StreamingServer::Stop() { impl_->Stop(); }

Result<std::unique_ptr<StreamingServer>> StreamingServer::Start(StreamingOptions options,
                                                                StreamingBackend* backend) {
  auto impl = std::make_unique<Impl>(std::move(options), backend);
  CAPSTAN_TRY(impl->Init());
  return std::unique_ptr<StreamingServer>(new StreamingServer(std::move(impl)));
}

}  // namespace capstan::cri::streaming

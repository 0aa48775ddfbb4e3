#include "integration/cri/spdy_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

namespace capstan::integration {

SpdyClient::~SpdyClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
}

ssize_t SpdyClient::RawSend(const void* data, size_t n) {
  if (!fd_) return -1;
  if (ssl_) return SSL_write(ssl_, data, static_cast<int>(n));
  return ::send(fd_.get(), data, n, MSG_NOSIGNAL);
}

ssize_t SpdyClient::RawRecv(void* data, size_t n) {
  if (!fd_) return -1;
  if (ssl_) return SSL_read(ssl_, data, static_cast<int>(n));
  return ::recv(fd_.get(), data, n, 0);
}

bool SpdyClient::Readable(int timeout_ms) {
  if (ssl_ && SSL_pending(ssl_) > 0) return true;
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

Result<std::unique_ptr<SpdyClient>> SpdyClient::Connect(const std::string& url,
                                                        const std::vector<std::string>& protocols,
                                                        int* status_out, std::string* body_out) {
  bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0) {
    return Fail(Code::kInvalidArgument, "not http: {}", url);
  }
  std::string rest = url.substr(tls ? 8 : 7);
  std::string hostport = rest.substr(0, rest.find('/'));
  std::string path = rest.substr(hostport.size());
  std::string host = hostport.substr(0, hostport.rfind(':'));
  int port = std::stoi(hostport.substr(hostport.rfind(':') + 1));
  auto c = std::make_unique<SpdyClient>();
  c->fd_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(c->fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return FailErrno("connecting to {}", hostport);
  }
  if (tls) {
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    c->ssl_ = SSL_new(c->ctx_);
    SSL_set_fd(c->ssl_, c->fd_.get());
    if (SSL_connect(c->ssl_) != 1) return Fail(Code::kUnavailable, "TLS handshake failed");
  }
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + hostport +
                    "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
  for (const auto& p : protocols) req += "X-Stream-Protocol-Version: " + p + "\r\n";
  req += "Content-Length: 0\r\n\r\n";
  if (c->RawSend(req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    return FailErrno("sending the upgrade");
  }
  std::string head;
  char ch;
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t got = c->Readable(10000) ? c->RawRecv(&ch, 1) : 0;
    if (got != 1) {
      int ssl_error = c->ssl_ ? SSL_get_error(c->ssl_, static_cast<int>(got)) : 0;
      char reason[256] = "";
      ERR_error_string_n(ERR_peek_error(), reason, sizeof(reason));
      return Fail(Code::kUnavailable, "no answer to the upgrade (got {:?}; ssl error {} {}, {})",
                  head, ssl_error, reason, std::strerror(errno));
    }
    head.push_back(ch);
  }
  int status = std::stoi(head.substr(9, 3));
  if (status_out) *status_out = status;
  if (status != 101) {
    if (body_out) {
      char buf[4096];
      ssize_t n = c->Readable(2000) ? c->RawRecv(buf, sizeof(buf)) : 0;
      if (n > 0) body_out->assign(buf, static_cast<size_t>(n));
    }
    return Fail(Code::kFailedPrecondition, "upgrade refused: {}", head.substr(0, head.find('\r')));
  }
  auto at = head.find("X-Stream-Protocol-Version: ");
  if (at != std::string::npos) {
    at += 27;
    c->protocol_ = head.substr(at, head.find('\r', at) - at);
  }
  return c;
}

uint32_t SpdyClient::Open(const spdy::HeaderBlock& headers) {
  spdy::SynStream syn;
  syn.stream_id = next_id_;
  next_id_ += 2;
  syn.headers = headers;
  auto bytes = writer_.Encode(syn);
  if (bytes) (void)RawSend(bytes->data(), bytes->size());
  return syn.stream_id;
}

bool SpdyClient::Send(uint32_t stream_id, std::string_view data, bool fin) {
  spdy::DataFrame frame;
  frame.stream_id = stream_id;
  frame.data = std::string(data);
  frame.flags = fin ? spdy::kFlagFin : 0;
  auto bytes = writer_.Encode(frame);
  return bytes && RawSend(bytes->data(), bytes->size()) == static_cast<ssize_t>(bytes->size());
}

bool SpdyClient::ReadUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (closed) return done();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!Readable(static_cast<int>(left.count()))) continue;
    char buf[65536];
    ssize_t n = RawRecv(buf, sizeof(buf));
    if (n <= 0) {
      closed = true;
    } else {
      reader_.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    for (;;) {
      auto frame = reader_.Next();
      if (!frame || !*frame) break;
      if (auto* d = std::get_if<spdy::DataFrame>(&**frame)) {
        data[d->stream_id] += d->data;
        if (d->flags & spdy::kFlagFin) finished.insert(d->stream_id);
      } else if (auto* r = std::get_if<spdy::SynReply>(&**frame)) {
        replied.insert(r->stream_id);
      } else if (auto* rst = std::get_if<spdy::RstStream>(&**frame)) {
        reset.insert(rst->stream_id);
      } else if (std::holds_alternative<spdy::GoAway>(**frame)) {
        closed = true;
      }
    }
  }
  return true;
}

}  // namespace capstan::integration

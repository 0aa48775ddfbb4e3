#include "integration/cri/spdy_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace capstan::integration {

Result<std::unique_ptr<SpdyClient>> SpdyClient::Connect(const std::string& url,
                                                        const std::vector<std::string>& protocols,
                                                        int* status_out, std::string* body_out) {
  if (url.rfind("http://", 0) != 0) return Fail(Code::kInvalidArgument, "not http: {}", url);
  std::string rest = url.substr(7);
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
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + hostport +
                    "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n";
  for (const auto& p : protocols) req += "X-Stream-Protocol-Version: " + p + "\r\n";
  req += "Content-Length: 0\r\n\r\n";
  if (::send(c->fd_.get(), req.data(), req.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(req.size())) {
    return FailErrno("sending the upgrade");
  }
  std::string head;
  char ch;
  while (head.find("\r\n\r\n") == std::string::npos) {
    pollfd p{c->fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0 || ::recv(c->fd_.get(), &ch, 1, 0) != 1) {
      return Fail(Code::kUnavailable, "no answer to the upgrade (got {:?})", head);
    }
    head.push_back(ch);
  }
  int status = std::stoi(head.substr(9, 3));
  if (status_out) *status_out = status;
  if (status != 101) {
    if (body_out) {
      char buf[4096];
      ssize_t n = ::recv(c->fd_.get(), buf, sizeof(buf), 0);
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
  if (bytes) (void)::send(fd_.get(), bytes->data(), bytes->size(), MSG_NOSIGNAL);
  return syn.stream_id;
}

bool SpdyClient::Send(uint32_t stream_id, std::string_view data, bool fin) {
  spdy::DataFrame frame;
  frame.stream_id = stream_id;
  frame.data = std::string(data);
  frame.flags = fin ? spdy::kFlagFin : 0;
  auto bytes = writer_.Encode(frame);
  return bytes && ::send(fd_.get(), bytes->data(), bytes->size(), MSG_NOSIGNAL) ==
                      static_cast<ssize_t>(bytes->size());
}

bool SpdyClient::ReadUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (closed) return done();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
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

#include "kubelet/util/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/unique_fd.h"

namespace capstan::kubelet::util {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

int RemainingMs(SteadyTime deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

Status WaitFor(int fd, short events, SteadyTime deadline, const std::string& what) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) {
      return Ok();
    }
    if (n == 0) {
      return Fail(Code::kDeadlineExceeded, "{}: timed out", what);
    }
    if (errno != EINTR) {
      return FailErrno("{}: poll", what);
    }
  }
}

Result<UniqueFd> Connect(const std::string& host, int port, SteadyTime deadline) {
  std::string what = fmt::format("dial {}:{}", host, port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return Fail(Code::kUnavailable, "{}: {}", what, ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  Error last(Code::kUnavailable, what + ": no address");
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) {
      last = ErrnoError(errno, what);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = Error(Code::kUnavailable, what + ": " + std::strerror(errno), errno);
      continue;
    }
    if (auto st = WaitFor(fd.get(), POLLOUT, deadline, what); !st) {
      return Fail(st.error());
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last = Error(Code::kUnavailable, what + ": " + std::strerror(err), err);
      continue;
    }
    return fd;
  }
  return Fail(last);
}

}  // namespace

Status TcpDial(const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto fd = Connect(host, port, std::chrono::steady_clock::now() + timeout);
  if (!fd) {
    return Fail(fd.error());
  }
  return Ok();
}

Result<HttpResponse> PlainHttpGetter::Get(const HttpRequest& req) {
  if (req.scheme != "HTTP" && req.scheme != "http") {
    return Fail(Code::kUnimplemented, "httpGet: scheme {} is not supported yet", req.scheme);
  }
  auto deadline = std::chrono::steady_clock::now() + req.timeout;
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd fd, Connect(req.host, req.port, deadline));
  std::string host_header = req.host.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", req.host, req.port)
                                : fmt::format("{}:{}", req.host, req.port);
  std::string request = fmt::format("GET {} HTTP/1.1\r\n", req.path.empty() ? "/" : req.path);
  bool has_host = false, has_agent = false, has_accept = false;
  std::string extra;
  for (const auto& [k, v] : req.headers) {
    has_host |= strcasecmp(k.c_str(), "Host") == 0;
    has_agent |= strcasecmp(k.c_str(), "User-Agent") == 0;
    has_accept |= strcasecmp(k.c_str(), "Accept") == 0;
    extra += k + ": " + v + "\r\n";
  }
  if (!has_host) request += "Host: " + host_header + "\r\n";
  if (!has_agent) request += "User-Agent: kube-probe/1.30\r\n";
  if (!has_accept) request += "Accept: */*\r\n";
  request += extra + "Connection: close\r\n\r\n";
  std::string what = fmt::format("GET http://{}{}", host_header, req.path);
  size_t sent = 0;
  while (sent < request.size()) {
    CAPSTAN_TRY(WaitFor(fd.get(), POLLOUT, deadline, what));
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Fail(Code::kUnavailable, "{}: send: {}", what, std::strerror(errno));
    }
    sent += n > 0 ? static_cast<size_t>(n) : 0;
  }
  std::string data;
  constexpr size_t kMaxRead = 64 << 10;
  while (data.size() < kMaxRead) {
    CAPSTAN_TRY(WaitFor(fd.get(), POLLIN, deadline, what));
    char buf[4096];
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return Fail(Code::kUnavailable, "{}: recv: {}", what, std::strerror(errno));
    }
    data.append(buf, static_cast<size_t>(n));
    // The status line and headers are all a probe needs; stop once the body has started
    // and enough of it is here.
    auto header_end = data.find("\r\n\r\n");
    if (header_end != std::string::npos && data.size() - header_end - 4 >= (10 << 10)) {
      break;
    }
  }
  // "HTTP/1.1 200 OK"
  if (!data.starts_with("HTTP/1.") || data.size() < 12) {
    return Fail(Code::kUnavailable, "{}: malformed response", what);
  }
  HttpResponse resp;
  resp.status = std::atoi(data.c_str() + 9);
  if (auto header_end = data.find("\r\n\r\n"); header_end != std::string::npos) {
    resp.body = data.substr(header_end + 4, 10 << 10);
  }
  return resp;
}

}  // namespace capstan::kubelet::util

#include "kubelet/util/socket.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace capstan::kubelet::util {

int RemainingMs(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

Status WaitFd(int fd, short events, Deadline deadline, const std::string& what) {
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

Result<UniqueFd> ConnectTcp(const std::string& host, int port, Deadline deadline) {
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
    if (auto st = WaitFd(fd.get(), POLLOUT, deadline, what); !st) {
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

namespace {

class PlainConn : public Conn {
 public:
  PlainConn(UniqueFd fd, std::string what) : fd_(std::move(fd)), what_(std::move(what)) {}

  Status Send(std::string_view data, Deadline deadline) override {
    size_t sent = 0;
    while (sent < data.size()) {
      CAPSTAN_TRY(WaitFd(fd_.get(), POLLOUT, deadline, what_));
      ssize_t n = ::send(fd_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          continue;
        }
        return Fail(Code::kUnavailable, "{}: send: {}", what_, std::strerror(errno));
      }
      sent += static_cast<size_t>(n);
    }
    return Ok();
  }

  Result<size_t> Recv(char* buf, size_t len, Deadline deadline) override {
    while (true) {
      CAPSTAN_TRY(WaitFd(fd_.get(), POLLIN, deadline, what_));
      ssize_t n = ::recv(fd_.get(), buf, len, 0);
      if (n >= 0) {
        return static_cast<size_t>(n);
      }
      if (errno != EAGAIN && errno != EINTR) {
        return Fail(Code::kUnavailable, "{}: recv: {}", what_, std::strerror(errno));
      }
    }
  }

 private:
  UniqueFd fd_;
  std::string what_;
};

}  // namespace

std::unique_ptr<Conn> NewPlainConn(UniqueFd fd, std::string what) {
  return std::make_unique<PlainConn>(std::move(fd), std::move(what));
}

}  // namespace capstan::kubelet::util

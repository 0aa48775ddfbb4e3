#pragma once
// OutputQueue: bytes waiting for a non-blocking socket. Flush writes what the socket takes
// and keeps the rest for the next POLLOUT; the transports (SPDY, WebSocket) queue their
// frames here.

#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace capstan::cri::streaming {

class OutputQueue {
 public:
  void Append(std::string_view bytes) {
    if (offset_ > 0 && offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }
    buffer_.append(bytes);
  }
  size_t pending() const { return buffer_.size() - offset_; }

  // Writes until the socket would block; false once the socket failed (for good).
  bool Flush(int fd) {
    while (!failed_ && pending() > 0) {
      ssize_t n = ::send(fd, buffer_.data() + offset_, pending(), MSG_NOSIGNAL);
      if (n > 0) {
        offset_ += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else {
        failed_ = true;
      }
    }
    if (pending() == 0) {
      buffer_.clear();
      offset_ = 0;
    }
    return !failed_;
  }
  void MarkFailed() { failed_ = true; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace capstan::cri::streaming

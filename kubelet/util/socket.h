#pragma once
// The socket layer under the kubelet's small network clients (net.h): TCP connects and byte
// streams with a deadline on every step. Conn is what the HTTP client reads and writes;
// plain TCP here, TLS in tls.h.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capstan::kubelet::util {

using Deadline = std::chrono::steady_clock::time_point;

// Milliseconds left until `deadline` (0 when past), for poll().
int RemainingMs(Deadline deadline);
// Waits until `fd` is ready for `events` (POLLIN/POLLOUT); DeadlineExceeded when it is not
// in time.
Status WaitFd(int fd, short events, Deadline deadline, const std::string& what);
// A connected non-blocking, close-on-exec TCP socket. Unavailable when nothing listens or
// the name does not resolve, DeadlineExceeded on timeout.
Result<UniqueFd> ConnectTcp(const std::string& host, int port, Deadline deadline);

class Conn {
 public:
  virtual ~Conn() = default;
  virtual Status Send(std::string_view data, Deadline deadline) = 0;
  // Reads what is there (at least one byte); 0 at the end of the stream.
  virtual Result<size_t> Recv(char* buf, size_t len, Deadline deadline) = 0;
};

// `what` prefixes error messages ("GET http://10.0.0.1:80/healthz").
std::unique_ptr<Conn> NewPlainConn(UniqueFd fd, std::string what);

}  // namespace capstan::kubelet::util

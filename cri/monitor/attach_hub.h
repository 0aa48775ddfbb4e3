#pragma once
// AttachHub: the monitor's attach socket. Clients (capstan-cri's streaming sessions for
// `crictl attach` and `kubectl attach`) connect with SOCK_SEQPACKET and speak the stdio
// protocol (stdio_protocol.h): they receive the container's output as the monitor logs it
// and may send stdin and terminal sizes. Attaching does not disturb the CRI log: the monitor
// keeps writing it, clients get copies. A client that cannot keep up is dropped rather than
// allowed to stall the container's output.

#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "cri/monitor/stdio_protocol.h"

namespace capstan::cri::monitor {

class AttachHub {
 public:
  ~AttachHub();

  // Binds and listens at `path` (reached through /proc/self/fd of its directory: a state
  // directory's path can be longer than a socket address holds).
  Status Listen(const std::string& path);
  int listen_fd() const { return listener_.get(); }
  // Accepts a waiting client; its fd (to watch for input), or -1.
  int Accept();
  bool IsClient(int fd) const { return clients_.count(fd) > 0; }

  struct Input {
    enum class Kind { kNothing, kStdin, kStdinClose, kResize, kGone } kind = Kind::kNothing;
    std::string data;  // kStdin
    uint16_t width = 0, height = 0;
  };
  // One message from a readable client. After kGone the client is already dropped.
  Input Read(int fd);
  // Sends output to every client.
  void Broadcast(StdioMessage type, std::string_view data);
  // Disconnects everyone and removes the socket.
  void Close();

 private:
  void Drop(int fd);

  UniqueFd listener_;
  std::string path_;
  std::set<int> clients_;
};

}  // namespace capstan::cri::monitor

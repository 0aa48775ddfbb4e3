#include "cri/monitor/attach_hub.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace capstan::cri::monitor {

AttachHub::~AttachHub() { Close(); }

Status AttachHub::Listen(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return FailErrno("opening {}", dir);
  std::string short_path = "/proc/self/fd/" + std::to_string(dir_fd.get()) + "/" + name;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (short_path.size() >= sizeof(addr.sun_path)) {
    return Fail(Code::kInvalidArgument, "attach socket name {:?} is too long", name);
  }
  std::memcpy(addr.sun_path, short_path.c_str(), short_path.size());
  listener_.Reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  ::unlink(path.c_str());
  if (!listener_ ||
      ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener_.get(), 16) != 0) {
    listener_.Reset();
    return FailErrno("listening on {}", path);
  }
  ::chmod(path.c_str(), 0600);
  path_ = path;
  return Ok();
}

int AttachHub::Accept() {
  int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return -1;
  // A client's backlog of output: about 4 MiB before it counts as not keeping up.
  int size = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  clients_.insert(fd);
  return fd;
}

AttachHub::Input AttachHub::Read(int fd) {
  Input in;
  char buf[kMaxStdioPayload + 16];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return in;
  if (n <= 0) {
    Drop(fd);
    in.kind = Input::Kind::kGone;
    return in;
  }
  std::string_view msg(buf, static_cast<size_t>(n));
  switch (static_cast<StdioMessage>(msg[0])) {
    case StdioMessage::kStdin:
      in.kind = Input::Kind::kStdin;
      in.data = std::string(msg.substr(1));
      break;
    case StdioMessage::kStdinClose: in.kind = Input::Kind::kStdinClose; break;
    case StdioMessage::kResize:
      if (msg.size() >= 5) {
        in.kind = Input::Kind::kResize;
        in.width = StdioU16(msg, 1);
        in.height = StdioU16(msg, 3);
      }
      break;
    default: break;
  }
  return in;
}

void AttachHub::Broadcast(StdioMessage type, std::string_view data) {
  if (clients_.empty()) return;
  std::vector<int> slow;
  for (size_t at = 0; at < data.size(); at += kMaxStdioPayload) {
    std::string packet = StdioPacket(type, data.substr(at, kMaxStdioPayload));
    for (int fd : clients_) {
      if (::send(fd, packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        slow.push_back(fd);
      }
    }
  }
  for (int fd : slow) Drop(fd);
}

void AttachHub::Drop(int fd) {
  if (clients_.erase(fd)) ::close(fd);
}

void AttachHub::Close() {
  for (int fd : clients_) ::close(fd);
  clients_.clear();
  if (listener_) {
    listener_.Reset();
    ::unlink(path_.c_str());
  }
}

}  // namespace capstan::cri::monitor

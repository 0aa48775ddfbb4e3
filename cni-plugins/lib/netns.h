#pragma once
// Network namespaces by path (CNI_NETNS): opened once, checked to really be a network
// namespace (CNI_NETNS is hostile input), and entered only for as long as a step needs it.

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capstan::cni {

class NetNs {
 public:
  // NotFound when the path does not exist (DEL treats that as "already gone");
  // InvalidArgument when it is not a network namespace.
  static Result<NetNs> Open(const std::string& path);
  // The calling thread's current network namespace.
  static Result<NetNs> Current();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  NetNs(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

// Switches the calling thread into `target` until destroyed, then back to the namespace it
// was in. Failing to switch back would leave the thread in the container's namespace, so that
// crashes loudly (CAPSTAN_CHECK).
class NetNsGuard {
 public:
  static Result<NetNsGuard> Enter(const NetNs& target);
  NetNsGuard(NetNsGuard&&) = default;
  ~NetNsGuard();

 private:
  explicit NetNsGuard(UniqueFd back) : back_(std::move(back)) {}
  UniqueFd back_;
};

}  // namespace capstan::cni

namespace capstan::cni {
// Whether `ns` is the namespace the calling thread is in (plugins refuse to treat the host's
// namespace as a container's: DEL would take the host's interfaces down).
bool IsCurrentNetNs(const NetNs& ns);
}  // namespace capstan::cni

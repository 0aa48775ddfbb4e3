#pragma once
// ExitWatcher: one thread that waits on pidfds of capstan-monitor processes and calls back
// when one ends (the monitor writes exit.json before it exits).

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capstan::cri::runtime {

class ExitWatcher {
 public:
  using Callback = std::function<void(const std::string& id)>;
  explicit ExitWatcher(Callback on_exit);
  ~ExitWatcher();

  // Watches `pid` for `id`. If the process is already gone the callback runs at once, on the
  // calling thread.
  Status Watch(const std::string& id, pid_t pid);

 private:
  void Loop();

  Callback on_exit_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd that stops the loop
  std::mutex mu_;
  std::map<int, std::pair<std::string, UniqueFd>> watched_;  // pidfd -> (id, pidfd)
  std::thread thread_;
};

// /proc/<pid>/stat field 22: the start time that tells a pid from a reused one; 0 if gone.
uint64_t ProcessStartTime(pid_t pid);

}  // namespace capstan::cri::runtime

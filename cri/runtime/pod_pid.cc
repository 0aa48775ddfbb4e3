// The pod-shared PID namespace (NamespaceMode POD, shareProcessNamespace): its init is a
// `capstan-monitor pod-init` started with the sandbox and killed when the sandbox stops,
// which takes down whatever is left in the namespace, as the pause container's end does.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/file.h"
#include "common/process.h"
#include "cri/runtime/runtime.h"

namespace capstan::cri::runtime {

Result<std::pair<pid_t, uint64_t>> Runtime::StartPodInit(const std::string& state_dir) {
  std::string pid_file = state_dir + "/pid-init";
  SpawnOptions opts;
  opts.argv = {config_.monitor_path, "pod-init", "--pid-file", pid_file};
  CAPSTAN_ASSIGN_OR_RETURN(auto out, RunCommand(opts, std::chrono::seconds(10)));
  if (out.exit_code != 0) {
    return Fail(Code::kInternal, "starting the pod's PID namespace init: exit {}: {}",
                out.exit_code, out.err);
  }
  CAPSTAN_ASSIGN_OR_RETURN(std::string text, ReadFile(pid_file));
  pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
  uint64_t start = pid > 0 ? ProcessStartTime(pid) : 0;
  if (start == 0) {
    return Fail(Code::kInternal, "the pod's PID namespace init {:?} is not running", text);
  }
  return std::make_pair(pid, start);
}

void Runtime::StopPodInit(pid_t pid, uint64_t start_time) {
  if (pid <= 0 || ProcessStartTime(pid) != start_time) return;
  ::kill(pid, SIGKILL);
  // Ours to reap while this capstan-cri is the one that started it (its subreaper).
  for (int i = 0; i < 100; ++i) {
    pid_t w = ::waitpid(pid, nullptr, WNOHANG);
    if (w == pid || (w < 0 && errno == ECHILD)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace capstan::cri::runtime

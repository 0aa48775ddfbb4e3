#pragma once
// capstan-monitor: one per container, the parent of the container's init. It holds the
// container's stdio (pipes or a pty), writes the CRI log, reaps the exit code and records it
// with the reason. It is detached from capstan-cri, so containers outlive runtime restarts.

#include <string>

namespace capstan::cri::monitor {

struct MonitorOptions {
  std::string id;
  std::string spec_path;  // the bundle's spec.json, read by the child only
  std::string log_path;
  std::string exit_file;
  std::string pid_file;
  std::string oom_file;  // memory.oom_control (v1) or memory.events (v2); may be empty
  int sync_fd = -1;      // "ok <pid>\n" or "error <message>\n" for capstan-cri, then closed
  bool tty = false;
  bool stdin_open = false;
  bool stdin_once = false;  // the first attached client that closes stdin closes the container's
  // A SOCK_SEQPACKET socket for `crictl attach` / `kubectl attach`, speaking the stdio
  // protocol (stdio_protocol.h): clients get the output as it is logged and may write stdin.
  std::string attach_socket;
  std::string pid_mode = "container";  // container | node | target
  std::string pidns_path;              // for target
};

// Runs the container to its end; returns the monitor's own exit code.
int RunMonitor(const MonitorOptions& opts);

}  // namespace capstan::cri::monitor

#pragma once
// The container's init: what runs between fork and exec of the container's first process.

#include "cri/oci/spec.h"

namespace capstan::cri::oci {

// Joins cgroups and namespaces, builds the rootfs, switches identity, applies security
// settings and execs the process. Never returns: on any failure it writes the error to
// `error_fd` (a CLOEXEC pipe whose silent close tells the parent that exec succeeded) and
// exits 127. The caller must be single-threaded and, for a new PID namespace, already PID 1.
// With a terminal, the pty is made inside the container's own /dev/pts and its master is
// sent over `console_fd` (a unix socket, SCM_RIGHTS) to whoever holds the other end, as
// runc's console socket does; -1 without a terminal.
[[noreturn]] void RunContainerInit(const ContainerSpec& spec, int error_fd, int console_fd);

// Joins an existing container (the namespaces of `target_pid` and its cgroups) and execs
// `args` there as the container's user, with the container's security settings.
// Used by ExecSync; same error contract as RunContainerInit.
struct ExecRequest {
  pid_t target_pid = 0;
  std::vector<std::string> args;
  bool tty = false;
  // With tty: a socket the command's pty master is sent over (SCM_RIGHTS). The pty is made in
  // the container's devpts, as a container's console is. Without it, fd 0 must be a tty.
  int console_fd = -1;
  // 0: none. On expiry the command's whole process group is killed and "timed out" is
  // reported on the error fd.
  int timeout_seconds = 0;
};
[[noreturn]] void RunExecInit(const ContainerSpec& spec, const ExecRequest& req, int error_fd);

// Finds `file` along PATH from `env` (a container env list), as execvp would inside the
// already-entered root. Returns the path to exec, or NotFound.
Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env);

}  // namespace capstan::cri::oci

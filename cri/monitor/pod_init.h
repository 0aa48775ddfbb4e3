#pragma once
// The pod's PID-namespace init (`capstan-monitor pod-init --pid-file F`): for pods that share
// one PID namespace (shareProcessNamespace, CRI NamespaceMode POD), it is PID 1 of that
// namespace, as upstream's pause is: it holds the namespace for the pod's lifetime (a PID
// namespace whose init is gone takes no new processes) and reaps the orphans the pod's
// containers leave. It does nothing else; SIGTERM or SIGKILL ends it, and with it every
// process left in the namespace.
//
// capstan has no pause container; a process of its own (the static capstan-monitor, a few
// hundred KiB resident) serves, rather than the first container's monitor, because
// containers of a pod come and go independently and the namespace must outlive each.

#include <string>

namespace capstan::cri::monitor {

// Creates the namespace and its init, writes the init's host PID to `pid_file` and returns
// the first process's exit code (0 once the init runs).
int RunPodInit(const std::string& pid_file);

}  // namespace capstan::cri::monitor

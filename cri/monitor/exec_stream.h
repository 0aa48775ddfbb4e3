#pragma once
// The exec helper's streaming mode (`capstan-monitor exec --stream-fd N`): runs a command in
// a running container with its stdio on pipes (or a pty made in the container's devpts) and
// relays them over a stdio-protocol socket (stdio_protocol.h) to capstan-cri's streaming
// session. The helper stays in the host's namespaces; the command is started by a child that
// joins the container (oci::RunExecInit). When the socket closes (the client went away) the
// command is killed, so a dropped `kubectl exec` leaves nothing running.

#include "cri/oci/init.h"
#include "cri/oci/spec.h"

namespace capstan::cri::monitor {

// Returns the helper's exit code; the command's own goes in the exit message.
int RunExecStream(const oci::ContainerSpec& spec, oci::ExecRequest req, int stream_fd,
                  bool stdin_open);

}  // namespace capstan::cri::monitor

#pragma once
// The streaming sessions capstan-cri's streaming server runs on an upgraded connection:
// remote command (exec and attach: Kubernetes' channel.k8s.io protocols v1 to v4 over SPDY)
// and port-forward (portforward.k8s.io over SPDY). Each runs a poll loop on the calling
// thread until the exchange ends, the client goes away or the connection idles too long.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "cri/streaming/token_cache.h"

namespace capstan::cri::streaming {

// A stdio-protocol connection (cri/monitor/stdio_protocol.h) to an exec helper or to a
// container's monitor.
struct StdioConnection {
  UniqueFd socket;                // SOCK_SEQPACKET
  std::function<void()> release;  // called once, after the socket closed (reaps a helper)
};

struct SessionLimits {
  std::chrono::milliseconds stream_creation_timeout{30000};  // the client opening its streams
  std::chrono::milliseconds idle_timeout{4 * 3600 * 1000};   // no byte either way (containerd's 4h)
  size_t max_port_forward_streams = 128;                     // concurrent pairs per connection
};

// Remote command protocols, newest first (the order the server prefers them in when a client
// lists several): v4 carries a Status on the error stream, v3 adds terminal resizing, v2 and
// v1 report errors as text.
inline constexpr std::string_view kRemoteCommandProtocols[] = {
    "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"};
inline constexpr std::string_view kPortForwardProtocol = "portforward.k8s.io";

// `fd` is the non-blocking client socket after the 101 answer; `leftover` what was read past
// the request. `open` starts the exec or joins the container's stdio once the client's
// streams are there.
void ServeRemoteCommandSpdy(int fd, std::string_view leftover, const std::string& protocol,
                            const StreamRequest& request, const SessionLimits& limits,
                            const std::function<Result<StdioConnection>()>& open);

// The same over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io,
// base64.channel.k8s.io, channel.k8s.io), after the 101 answer.
inline constexpr std::string_view kWebSocketRemoteCommandProtocols[] = {
    "v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "base64.channel.k8s.io",
    "channel.k8s.io"};
void ServeRemoteCommandWebSocket(int fd, std::string_view leftover, const std::string& protocol,
                                 const StreamRequest& request, const SessionLimits& limits,
                                 const std::function<Result<StdioConnection>()>& open);

// Port-forward for kubectl 1.31+: SPDY carried in WebSocket binary messages.
inline constexpr std::string_view kPortForwardTunnelProtocol = "SPDY/3.1+portforward.k8s.io";

// `dial` connects to a port on the pod's loopback, inside its network namespace.
// `websocket_tunnel`: the SPDY bytes travel in WebSocket binary messages.
void ServePortForwardSpdy(int fd, std::string_view leftover, const StreamRequest& request,
                          const SessionLimits& limits,
                          const std::function<Result<UniqueFd>(int32_t port)>& dial,
                          bool websocket_tunnel = false);

// The JSON of the metav1.Status a v4 client reads on the error stream: Success, a command's
// non-zero exit code (reason NonZeroExitCode, the code in details.causes), or an internal
// error. Exposed for tests.
std::string ExitStatusJson(int exit_code, const std::string& error,
                           const std::vector<std::string>& cmd);

}  // namespace capstan::cri::streaming

#pragma once
// Readiness and state for systemd (Type=notify units), through libsystemd's sd_notify. A
// no-op when the process was not started with NOTIFY_SOCKET (not under systemd).
//
//   NotifyReady("serving CRI");   // READY=1 once the daemon accepts work
//   NotifyStopping();             // STOPPING=1 when shutdown begins

#include <string_view>

namespace capstan {

// READY=1 with a STATUS= line; returns false if NOTIFY_SOCKET was set but sending failed.
bool NotifyReady(std::string_view status);
bool NotifyStatus(std::string_view status);
bool NotifyStopping();

}  // namespace capstan

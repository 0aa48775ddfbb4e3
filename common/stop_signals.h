#pragma once
// How capstan's daemons stop: SIGTERM or SIGINT, received by one sigwait rather than by a
// handler. BlockStopSignals must run in main before any thread starts, so every thread
// inherits the blocked mask and only WaitForStopSignal sees the signal. SIGPIPE is ignored.

namespace capstan {

void BlockStopSignals();
// Blocks until SIGTERM or SIGINT arrives; returns its number.
int WaitForStopSignal();

}  // namespace capstan

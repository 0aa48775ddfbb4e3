#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

namespace capstan {
namespace {

sigset_t StopSet() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  return mask;
}

}  // namespace

void BlockStopSignals() {
  sigset_t mask = StopSet();
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForStopSignal() {
  sigset_t mask = StopSet();
  int sig = 0;
  sigwait(&mask, &sig);
  return sig;
}

}  // namespace capstan

#include "cri/monitor/pod_init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/process.h"

namespace capstan::cri::monitor {

namespace {

[[noreturn]] void InitLoop() {
  ::setsid();
  int devnull = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(devnull, fd);
  CloseFdsFrom(3);
  ::prctl(PR_SET_NAME, "pod-init");
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  sigset_t wanted;
  sigemptyset(&wanted);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&wanted, sig);
  int sfd = ::signalfd(-1, &wanted, SFD_CLOEXEC);
  for (;;) {
    signalfd_siginfo si;
    if (::read(sfd, &si, sizeof(si)) != sizeof(si)) continue;
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) _exit(0);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

}  // namespace

int RunPodInit(const std::string& pid_file) {
  if (::unshare(CLONE_NEWPID) != 0) return 1;
  pid_t init = ::fork();
  if (init < 0) return 1;
  if (init == 0) InitLoop();
  // The init is reparented to capstan-cri (its subreaper) as this process exits.
  return WriteFileAtomic(pid_file, std::to_string(init)) ? 0 : 1;
}

}  // namespace capstan::cri::monitor

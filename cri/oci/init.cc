#include "cri/oci/init.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/file.h"
#include "common/process.h"
#include "common/unique_fd.h"
#include "cri/oci/capabilities.h"
#include "cri/oci/rootfs.h"
#include "cri/oci/seccomp.h"

namespace capstan::cri::oci {
namespace {

[[noreturn]] void Die(int error_fd, const Error& e) {
  const std::string& m = e.message();
  (void)!::write(error_fd, m.data(), m.size());
  _exit(127);
}

Status JoinCgroups(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    // "0" means the writing process (the kernel resolves it to the caller).
    CAPSTAN_TRY(WriteFile(d + "/cgroup.procs", "0"));
  }
  return Ok();
}

Status JoinNamespace(const std::string& path, int type) {
  if (path.empty()) {
    return Ok();
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return FailErrno("opening namespace {}", path);
  }
  if (::setns(fd.get(), type) != 0) {
    return FailErrno("joining namespace {}", path);
  }
  return Ok();
}

Status ApplyRlimits(const std::vector<Rlimit>& limits) {
  static const std::map<std::string, int> kNames = {
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
  };
  for (const auto& l : limits) {
    auto it = kNames.find(l.type);
    if (it == kNames.end()) {
      return Fail(Code::kInvalidArgument, "unknown rlimit {}", l.type);
    }
    struct rlimit r {
      l.soft, l.hard
    };
    if (::setrlimit(it->second, &r) != 0) {
      // Raising a hard limit needs CAP_SYS_RESOURCE; without it (as on this kind of node)
      // the container gets as close as the current hard limit allows.
      struct rlimit cur {};
      if (errno != EPERM || ::getrlimit(it->second, &cur) != 0) {
        return FailErrno("setrlimit {}", l.type);
      }
      r.rlim_max = std::min<rlim_t>(r.rlim_max, cur.rlim_max);
      r.rlim_cur = std::min<rlim_t>(r.rlim_cur, r.rlim_max);
      if (::setrlimit(it->second, &r) != 0) {
        return FailErrno("setrlimit {}", l.type);
      }
    }
  }
  return Ok();
}

void ApplyOomScoreAdj(const std::optional<int>& adj) {
  if (!adj) {
    return;
  }
  // A negative value needs CAP_SYS_RESOURCE; without it the container keeps the inherited
  // score, as containerd does with restrict_oom_score_adj. capstan-cri warns at create time.
  (void)WriteFile("/proc/self/oom_score_adj", std::to_string(*adj));
}

Status SetTerminal(bool terminal) {
  if (!terminal) {
    return Ok();
  }
  ::setsid();
  if (::ioctl(0, TIOCSCTTY, 0) != 0) {
    return FailErrno("setting the controlling terminal");
  }
  return Ok();
}

// Opens a pty in the container's devpts, passes its master over `console_fd` and makes the
// slave this process's controlling terminal and stdio.
Status SetUpConsole(int console_fd) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    return FailErrno("opening /dev/ptmx");
  }
  char name[64];
  if (::unlockpt(master.get()) != 0 || ::ptsname_r(master.get(), name, sizeof(name)) != 0) {
    return FailErrno("preparing the pty");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) {
    return FailErrno("opening {}", name);
  }
  char byte = 0;
  struct iovec iov {
    &byte, 1
  };
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = master.get();
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (::sendmsg(console_fd, &msg, 0) != 1) {
    return FailErrno("sending the pty master");
  }
  ::close(console_fd);
  ::setsid();
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) {
    return FailErrno("setting the controlling terminal");
  }
  for (int i = 0; i < 3; ++i) {
    ::dup2(slave.get(), i);
  }
  return Ok();
}

// The last steps shared by init and exec: identity, no_new_privs, seccomp, cwd, exec.
[[noreturn]] void FinishAndExec(const ContainerSpec& spec, const std::vector<std::string>& args,
                                int error_fd) {
  auto die_if = [&](Status s) {
    if (!s) {
      Die(error_fd, s.error());
    }
  };
  if (args.empty()) {
    Die(error_fd, Error(Code::kInvalidArgument, "no command given (image has no CMD either)"));
  }
  const SecuritySpec& sec = spec.security;
  Identity id{spec.process.uid, spec.process.gid, spec.process.additional_gids, sec.capabilities,
              sec.ambient_capabilities};
  if (::chdir(spec.process.cwd.c_str()) != 0) {
    Die(error_fd, ErrnoError(errno, "chdir to working directory " + spec.process.cwd));
  }
  // A leaked host fd as cwd would put the process outside its root (runc CVE-2024-21626).
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) {
    Die(error_fd, ErrnoError(errno, "working directory is outside the container"));
  }
  auto path = LookPath(args[0], spec.process.env);
  if (!path) {
    Die(error_fd, path.error());
  }
  auto load_seccomp = [&]() -> Status {
    switch (sec.seccomp) {
      case SeccompKind::kUnconfined: return Ok();
      case SeccompKind::kRuntimeDefault: return LoadDefaultSeccomp(sec.capabilities);
      case SeccompKind::kLocalhost: return LoadSeccompProfile(sec.seccomp_profile);
    }
    return Ok();
  };
  if (!sec.no_new_privs) {
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while still root.
    die_if(load_seccomp());
  }
  die_if(ApplyIdentity(id));
  if (sec.no_new_privs) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      Die(error_fd, ErrnoError(errno, "setting no_new_privs"));
    }
    die_if(load_seccomp());
  }
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.process.env) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);
  ::execve(path->c_str(), argv.data(), envp.data());
  Die(error_fd, ErrnoError(errno, "exec " + args[0]));
}

}  // namespace

Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env) {
  if (file.find('/') != std::string::npos) {
    if (::access(file.c_str(), X_OK) != 0) {
      return FailErrno("exec: {:?}", file);
    }
    return file;
  }
  std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path_var = e.substr(5);
    }
  }
  size_t i = 0;
  while (i <= path_var.size()) {
    size_t j = path_var.find(':', i);
    if (j == std::string::npos) {
      j = path_var.size();
    }
    std::string dir = path_var.substr(i, j - i);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    i = j + 1;
  }
  return Fail(Code::kNotFound, "exec: {:?}: executable file not found in $PATH", file);
}

void RunContainerInit(const ContainerSpec& spec, int error_fd, int console_fd) {
  auto die_if = [&](Status s, std::string_view step) {
    if (!s) {
      Die(error_fd, s.error().Wrap("{}", step));
    }
  };
  die_if(JoinCgroups(spec.cgroup_dirs), "joining cgroups");
  ApplyOomScoreAdj(spec.process.oom_score_adj);
  die_if(JoinNamespace(spec.namespaces.net, CLONE_NEWNET), "network namespace");
  die_if(JoinNamespace(spec.namespaces.ipc, CLONE_NEWIPC), "ipc namespace");
  die_if(JoinNamespace(spec.namespaces.uts, CLONE_NEWUTS), "uts namespace");
  if (::unshare(CLONE_NEWNS) != 0) {
    Die(error_fd, ErrnoError(errno, "creating the mount namespace"));
  }
  die_if(PrepareRootfs(spec), "preparing rootfs");
  die_if(ApplyRlimits(spec.process.rlimits), "rlimits");
  if (spec.process.terminal && console_fd >= 0) {
    die_if(SetUpConsole(console_fd), "terminal");
  }
  FinishAndExec(spec, spec.process.args, error_fd);
}

void RunExecInit(const ContainerSpec& spec, const ExecRequest& req, int error_fd) {
  auto die_if = [&](Status s, std::string_view step) {
    if (!s) {
      Die(error_fd, s.error().Wrap("{}", step));
    }
  };
  die_if(JoinCgroups(spec.cgroup_dirs), "joining cgroups");
  // Open every namespace first: after joining the mount namespace /proc is the container's.
  const std::pair<const char*, int> kinds[] = {{"ipc", CLONE_NEWIPC},
                                               {"uts", CLONE_NEWUTS},
                                               {"net", CLONE_NEWNET},
                                               {"pid", CLONE_NEWPID},
                                               {"mnt", CLONE_NEWNS}};
  std::vector<std::pair<UniqueFd, int>> fds;
  for (const auto& [name, type] : kinds) {
    std::string path = "/proc/" + std::to_string(req.target_pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      Die(error_fd, ErrnoError(errno, "opening " + path + " (is the container running?)"));
    }
    fds.emplace_back(std::move(fd), type);
  }
  for (auto& [fd, type] : fds) {
    if (::setns(fd.get(), type) != 0) {
      Die(error_fd, ErrnoError(errno, "joining the container's namespaces"));
    }
  }
  // A PID namespace applies to children only: fork once more. The child reports its own
  // failures through a pipe of ours, which we pass on to `error_fd`. SIGTERM (a streaming
  // client that went away) takes the command's whole process group down, as a timeout does.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);
  UniqueFd sigfd(::signalfd(-1, &term, SFD_CLOEXEC));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    Die(error_fd, ErrnoError(errno, "pipe"));
  }
  pid_t child = ::fork();
  if (child < 0) {
    Die(error_fd, ErrnoError(errno, "fork"));
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::sigprocmask(SIG_UNBLOCK, &term, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Its own process group, so that a timeout takes down whatever the command started (with
    // a terminal, the session setsid makes is one; setsid would fail for a group leader).
    if (!req.tty) {
      ::setpgid(0, 0);
    }
    die_if(ApplyRlimits(spec.process.rlimits), "rlimits");
    if (req.tty && req.console_fd >= 0) {
      die_if(SetUpConsole(req.console_fd), "terminal");
    } else {
      die_if(SetTerminal(req.tty), "terminal");
    }
    FinishAndExec(spec, req.args, pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  std::string child_error;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0) {
    child_error.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  if (child_error.empty()) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    struct pollfd pfds[2] = {{pidfd, POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    int timeout_ms = req.timeout_seconds > 0 ? req.timeout_seconds * 1000 : -1;
    int ready = -1;
    while (pidfd >= 0 && (ready = ::poll(pfds, 2, timeout_ms)) < 0 && errno == EINTR) {
    }
    bool timed_out = ready == 0;
    if (timed_out || (ready > 0 && (pfds[1].revents & POLLIN) && !(pfds[0].revents & POLLIN))) {
      ::kill(-child, SIGKILL);
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      if (timed_out) {
        const char msg[] = "timed out";
        (void)!::write(error_fd, msg, sizeof(msg) - 1);
      }
      _exit(137);
    }
  }
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!child_error.empty()) {
    (void)!::write(error_fd, child_error.data(), child_error.size());
    _exit(127);
  }
  if (WIFSIGNALED(status)) {
    _exit(128 + WTERMSIG(status));
  }
  _exit(WEXITSTATUS(status));
}

}  // namespace capstan::cri::oci

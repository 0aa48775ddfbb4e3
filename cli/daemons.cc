#include "cli/daemons.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/file.h"
#include "common/process.h"

namespace capstan::cli {
namespace {

// The program a pid runs, from /proc/<pid>/exe ("" when gone).
std::string ExeOf(pid_t pid) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
  if (ec) return "";
  // A daemon whose binary was rebuilt or upgraded since it started is still that program.
  std::string path = target.string();
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

bool Alive(pid_t pid) {
  // A zombie (exited, not reaped by its parent) is gone as far as we care.
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

}  // namespace

std::string ProgramDir() { return ExecutableDir(); }

Daemons::Daemons(std::string data_dir) : data_dir_(std::move(data_dir)) {}

std::string Daemons::PidFile(const std::string& name) const {
  return data_dir_ + "/run/" + name + ".pid";
}

std::string Daemons::LogFile(const std::string& name) const {
  return data_dir_ + "/logs/" + name + ".log";
}

std::optional<pid_t> Daemons::Running(const std::string& name) const {
  auto text = ReadFile(PidFile(name));
  if (!text) return std::nullopt;
  // "<pid> <program>": the program guards against a recycled pid.
  pid_t pid = 0;
  char program[4096] = {};
  if (std::sscanf(text->c_str(), "%d %4095s", &pid, program) < 1 || pid <= 0) return std::nullopt;
  if (!Alive(pid)) return std::nullopt;
  if (program[0] != '\0' && ExeOf(pid) != program) return std::nullopt;
  return pid;
}

Result<pid_t> Daemons::Start(const Daemon& d) {
  if (auto pid = Running(d.name)) return *pid;
  CAPSTAN_TRY(MkdirAll(data_dir_ + "/run", 0700));
  CAPSTAN_TRY(MkdirAll(data_dir_ + "/logs", 0700));
  int log = ::open(LogFile(d.name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return FailErrno("opening {}", LogFile(d.name));
  std::vector<char*> argv;
  for (const auto& a : d.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    ::close(log);
    return FailErrno("fork");
  }
  if (child == 0) {
    // Detached: a session of its own, no terminal, signals at their defaults.
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    CloseFdsFrom(3);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  // Does it survive its first moments (a bad flag, a busy port)?
  for (int i = 0; i < 5; ++i) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      return Fail(Code::kFailedPrecondition, "{} exited at once: {}", d.name, LogTail(d.name));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CAPSTAN_TRY(WriteFileAtomic(PidFile(d.name), fmt::format("{} {}\n", child, d.argv[0]), 0600));
  return child;
}

Status Daemons::Stop(const std::string& name, std::chrono::milliseconds grace) {
  auto pid = Running(name);
  if (!pid) {
    (void)::unlink(PidFile(name).c_str());
    return Ok();
  }
  ::kill(*pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    ::waitpid(*pid, nullptr, WNOHANG);  // our child when started by this process
    if (!Alive(*pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (Alive(*pid)) {
    ::kill(*pid, SIGKILL);
    for (int i = 0; i < 100 && Alive(*pid); ++i) {
      ::waitpid(*pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (Alive(*pid)) return Fail(Code::kInternal, "{} (pid {}) does not stop", name, *pid);
  (void)::unlink(PidFile(name).c_str());
  return Ok();
}

std::string Daemons::LogTail(const std::string& name, size_t lines) const {
  std::ifstream in(LogFile(name));
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "\n  | " + l;
  return out;
}

}  // namespace capstan::cli

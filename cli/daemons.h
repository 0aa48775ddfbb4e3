#pragma once
// The daemons `capstan up` starts and `capstan down` stops: each runs detached (its own
// session, so it outlives the command), logs to <data-dir>/logs/<name>.log and leaves its
// pid in <data-dir>/run/<name>.pid. A pid file whose process is gone, or is no longer that
// program, counts as stopped.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::cli {

struct Daemon {
  std::string name;               // "server", "cri", "kubelet"
  std::vector<std::string> argv;  // argv[0]: the program's path
};

class Daemons {
 public:
  explicit Daemons(std::string data_dir);

  // Starts `d` unless it already runs. Returns its pid.
  Result<pid_t> Start(const Daemon& d);
  // The pid of `name` when it runs.
  std::optional<pid_t> Running(const std::string& name) const;
  // SIGTERM, then SIGKILL after `grace`; Ok when it is gone (or was not running).
  Status Stop(const std::string& name, std::chrono::milliseconds grace);
  std::string LogFile(const std::string& name) const;
  // The last lines of a daemon's log, for error messages.
  std::string LogTail(const std::string& name, size_t lines = 15) const;

 private:
  std::string PidFile(const std::string& name) const;
  std::string data_dir_;
};

// The directory this program lives in: the other capstan binaries are beside it.
std::string ProgramDir();

}  // namespace capstan::cli

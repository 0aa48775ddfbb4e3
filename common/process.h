#pragma once
// Spawning programs: a ChildProcess that is killed and reaped unless detached, and
// RunCommand for the run-to-completion case (CNI plugins, tools) with a timeout.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan {

struct SpawnOptions {
  std::vector<std::string> argv;                // argv[0] is the path to exec
  std::optional<std::vector<std::string>> env;  // unset: inherit
  std::string stdin_data;
  std::optional<std::string> cwd;
};

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs to completion, feeding stdin_data and capturing stdout/stderr (each capped at
// max_output bytes). On timeout the child is killed and DeadlineExceeded returned.
Result<CommandOutput> RunCommand(const SpawnOptions& opts,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                 size_t max_output = 16 << 20);

// Closes every fd above `keep_upto` (for use in a child between fork and exec).
void CloseFdsFrom(int first);

// This machine's host name (the default node name).
std::string HostName();
// The directory this program's binary is in ("." if /proc cannot say): the other capstan
// binaries are installed beside it.
std::string ExecutableDir();

}  // namespace capstan

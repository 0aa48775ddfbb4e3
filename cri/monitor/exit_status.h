#pragma once
// The exit record capstan-monitor leaves when a container's process ends, read by
// capstan-cri (also after a restart): <state>/containers/<id>/exit.json.

#include <cstdint>
#include <string>

#include "common/error.h"

namespace capstan::cri::monitor {

struct ExitStatus {
  int exit_code = 0;  // 128+signal when killed by a signal, as containerd reports
  int signal = 0;
  int64_t finished_at_ns = 0;
  std::string reason;  // Completed | Error | OOMKilled | StartError
  std::string message;
};

std::string ExitStatusToJson(const ExitStatus& s);
Result<ExitStatus> ExitStatusFromJson(std::string_view text);

}  // namespace capstan::cri::monitor

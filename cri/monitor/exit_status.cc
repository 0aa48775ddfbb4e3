#include "cri/monitor/exit_status.h"

#include <nlohmann/json.hpp>

namespace capstan::cri::monitor {

std::string ExitStatusToJson(const ExitStatus& s) {
  nlohmann::json j{{"exit_code", s.exit_code},
                   {"signal", s.signal},
                   {"finished_at_ns", s.finished_at_ns},
                   {"reason", s.reason},
                   {"message", s.message}};
  return j.dump();
}

Result<ExitStatus> ExitStatusFromJson(std::string_view text) {
  try {
    auto j = nlohmann::json::parse(text);
    ExitStatus s;
    s.exit_code = j.value("exit_code", 0);
    s.signal = j.value("signal", 0);
    s.finished_at_ns = j.value("finished_at_ns", int64_t{0});
    s.reason = j.value("reason", std::string());
    s.message = j.value("message", std::string());
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Fail(Code::kInvalidArgument, "parsing exit status: {}", e.what());
  }
}

}  // namespace capstan::cri::monitor

#pragma once
// Signal names as images give them (STOPSIGNAL "SIGQUIT", "QUIT", "3").

#include <optional>
#include <string>

namespace capstan::cri::runtime {

std::optional<int> SignalNumber(const std::string& name);

}  // namespace capstan::cri::runtime

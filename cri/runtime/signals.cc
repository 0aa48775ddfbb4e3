#include "cri/runtime/signals.h"

#include <signal.h>

#include <cstdlib>
#include <cstring>

namespace capstan::cri::runtime {

std::optional<int> SignalNumber(const std::string& name) {
  if (name.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  long n = std::strtol(name.c_str(), &end, 10);
  if (*end == '\0' && n > 0 && n < NSIG) {
    return static_cast<int>(n);
  }
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && bare == abbrev) {
      return sig;
    }
  }
  return std::nullopt;
}

}  // namespace capstan::cri::runtime

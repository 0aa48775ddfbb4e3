#include "cli/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace capstan::cli {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Progress::Progress() : tty_(::isatty(STDOUT_FILENO) == 1) {}

void Progress::Step(const std::string& what) {
  Done();
  step_ = what;
  started_ = std::chrono::steady_clock::now();
  if (tty_) {
    fmt::print("  … {}", step_);
    std::fflush(stdout);
  }
}

void Progress::Tick() {
  if (!tty_ || step_.empty()) return;
  fmt::print("\r\033[K  … {} ({:.0f} s)", step_, Seconds(started_));
  std::fflush(stdout);
}

void Progress::Done() {
  if (step_.empty()) return;
  if (tty_) {
    fmt::print("\r\033[K  ✓ {} ({:.1f} s)\n", step_, Seconds(started_));
  } else {
    fmt::print("{}: done in {:.1f} s\n", step_, Seconds(started_));
  }
  std::fflush(stdout);
  step_.clear();
}

void Progress::Failed(const std::string& why) {
  if (tty_) {
    fmt::print("\r\033[K  ✗ {}\n", step_);
  } else {
    fmt::print("{}: failed\n", step_);
  }
  fmt::print(stderr, "capstan: {}\n", why);
  step_.clear();
}

}  // namespace capstan::cli

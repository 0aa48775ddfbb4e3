#pragma once
// Progress of `capstan up` and friends, as a person expects it: on a terminal, the step being
// done is shown with a running clock and rewritten as done ("✓ starting the API server
// (0.4 s)"); when the output is not a terminal (a log, CI), plain lines, one per step.

#include <chrono>
#include <string>

namespace capstan::cli {

class Progress {
 public:
  Progress();
  // Starts a step (ends the previous one as done).
  void Step(const std::string& what);
  // While waiting in a step: refreshes the clock on a terminal.
  void Tick();
  void Done();
  void Failed(const std::string& why);

 private:
  bool tty_;
  std::string step_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace capstan::cli

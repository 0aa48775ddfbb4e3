#pragma once
// What both CRI fakes share: a log of the RPCs called (in order) and errors a test injects
// per RPC. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace capstan::api::cri::testing {

class CallRecorder {
 public:
  // The next `times` calls of `rpc` fail with `error` (times < 0: every call until cleared).
  void InjectError(std::string_view rpc, Error error, int times = 1);
  void ClearErrors();

  std::vector<std::string> Calls() const;
  int CallCount(std::string_view rpc) const;
  void ClearCalls();

  // Records the call and returns the injected error for it, if any.
  Status Record(std::string_view rpc);

 private:
  struct Injected {
    Error error;
    int times;
  };
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, Injected, std::less<>> errors_;
};

}  // namespace capstan::api::cri::testing

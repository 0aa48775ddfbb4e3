#pragma once
// Runs a callable when the scope ends unless Cancel() was called: the undo step of a
// multi-step operation, armed after each step and cancelled on the success path.

#include <utility>

namespace capstan {

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (armed_) {
      f_();
    }
  }
  void Cancel() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace capstan

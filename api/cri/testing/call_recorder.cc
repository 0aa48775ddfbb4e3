#include "api/cri/testing/call_recorder.h"

#include <algorithm>

namespace capstan::api::cri::testing {

void CallRecorder::InjectError(std::string_view rpc, Error error, int times) {
  std::lock_guard lock(mu_);
  errors_.insert_or_assign(std::string(rpc), Injected{std::move(error), times});
}

void CallRecorder::ClearErrors() {
  std::lock_guard lock(mu_);
  errors_.clear();
}

std::vector<std::string> CallRecorder::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

int CallRecorder::CallCount(std::string_view rpc) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count(calls_.begin(), calls_.end(), rpc));
}

void CallRecorder::ClearCalls() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

Status CallRecorder::Record(std::string_view rpc) {
  std::lock_guard lock(mu_);
  calls_.emplace_back(rpc);
  auto it = errors_.find(rpc);
  if (it == errors_.end()) {
    return Ok();
  }
  Error e = it->second.error;
  if (it->second.times > 0 && --it->second.times == 0) {
    errors_.erase(it);
  }
  return Fail(std::move(e));
}

}  // namespace capstan::api::cri::testing

#pragma once
// FailureBackoff: how long a controller waits before it replaces something that failed
// again, per id (a job, a daemon set's node): `base` after the first failure, doubling
// with each further one, at most `max` (upstream's job and daemon-set back-offs).

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/time.h"

namespace capstan::control_plane::controllers {

class FailureBackoff {
 public:
  FailureBackoff(const Clock* clock, std::chrono::milliseconds base, std::chrono::milliseconds max)
      : clock_(clock), base_(base), max_(max) {}
  // One more failure of `id`, now.
  void Failed(const std::string& id);
  // `id` has failed `failures` times in all; when that grew, the wait restarts from now.
  void SetFailures(const std::string& id, int64_t failures);
  // The wait left before `id` may be tried again (zero: go).
  std::chrono::milliseconds Remaining(const std::string& id) const;
  void Forget(const std::string& id);

 private:
  struct Entry {
    int64_t failures = 0;
    std::chrono::steady_clock::time_point last;
  };
  const Clock* clock_;
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace capstan::control_plane::controllers

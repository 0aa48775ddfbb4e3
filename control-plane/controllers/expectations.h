#pragma once
// Expectations: what a controller has asked the API for and not yet seen in its informer
// (client-go's ControllerExpectations). Until the pods it created or deleted show up, a
// sync must not count again from a stale cache, or it would create twice. Expectations
// expire after 5 minutes, in case an event was lost.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "common/time.h"

namespace capstan::control_plane::controllers {

class Expectations {
 public:
  explicit Expectations(const Clock* clock) : clock_(clock) {}
  void Expect(const std::string& key, int creations, int deletions);
  void CreationObserved(const std::string& key);
  void DeletionObserved(const std::string& key);
  // Nothing outstanding (or the expectation expired, or none was ever set).
  bool Satisfied(const std::string& key) const;
  void Delete(const std::string& key);

 private:
  struct Pending {
    int creations = 0;
    int deletions = 0;
    std::chrono::steady_clock::time_point set_at;
  };
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Pending> pending_;
};

}  // namespace capstan::control_plane::controllers

#pragma once
// EventRecorder: core/v1 Events about API objects, as client-go's recorder writes them for
// the scheduler and the controllers ("Scheduled", "SuccessfulCreate", "ScalingReplicaSet"),
// with the component in source.component so `kubectl describe` shows who acted. The same
// event again for the same object (type, reason and message) raises its count instead of
// adding one, so `describe` shows "(x3 over 2m)". Failures are logged, never returned:
// events are for people, not for correctness.

#include <map>
#include <mutex>
#include <random>
#include <string>

#include "api/k8s/client/api_client.h"
#include "common/time.h"

namespace capstan::api::k8s::client {

class EventRecorder {
 public:
  EventRecorder(ApiClient* api, const Clock* clock, std::string component);
  // `object`: the object the event is about (its apiVersion, kind, metadata).
  void Record(const Json& object, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  ApiClient* api_;
  const Clock* clock_;
  std::string component_;
  std::string instance_;
  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  struct Recorded {
    std::string name;
    int32_t count = 0;
  };
  std::map<std::string, Recorded> recorded_;  // uid, type, reason, message -> its event
};

}  // namespace capstan::api::k8s::client

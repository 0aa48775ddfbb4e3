#pragma once
// StatusManager: the latest API status of every pod the kubelet runs. It keeps what must not
// change between updates (startTime, each condition's lastTransitionTime while its status is
// unchanged) and, in a later phase, reports statuses to the API server (mirror pods).
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/k8s/pod.h"
#include "common/time.h"

namespace capstan::kubelet::status {

class StatusManager {
 public:
  explicit StatusManager(const Clock* clock) : clock_(clock) {}

  void SetPodStatus(const api::k8s::Pod& pod, api::k8s::PodStatus status);
  std::optional<api::k8s::PodStatus> GetPodStatus(const std::string& uid) const;
  void RemovePod(const std::string& uid);
  // How many times the pod's status changed (tests and pollers wait on this).
  uint64_t Generation(const std::string& uid) const;

 private:
  struct Entry {
    api::k8s::PodStatus status;
    uint64_t generation = 0;
  };
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> pods_;
};

}  // namespace capstan::kubelet::status

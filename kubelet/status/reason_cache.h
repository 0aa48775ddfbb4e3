#pragma once
// Why each container last failed to start (CrashLoopBackOff, ErrImagePull, ...), per pod and
// container, from SyncPod results: what status generation shows as the waiting reason.
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "kubelet/kuberuntime/sync_result.h"

namespace capstan::kubelet::status {

class ReasonCache {
 public:
  // Start failures are remembered, successful starts forget the container's reason.
  void Update(const std::string& uid, const kuberuntime::PodSyncResult& result);
  std::optional<kuberuntime::ReasonedError> Get(const std::string& uid,
                                                const std::string& container) const;
  void RemovePod(const std::string& uid);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, kuberuntime::ReasonedError> reasons_;
};

}  // namespace capstan::kubelet::status

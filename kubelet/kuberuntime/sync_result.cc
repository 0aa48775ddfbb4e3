#include "kubelet/kuberuntime/sync_result.h"

namespace capstan::kubelet::kuberuntime {

Status PodSyncResult::ToStatus() const {
  static constexpr const char* kNames[] = {"StartContainer",   "KillContainer",
                                           "RemoveContainer",  "CreatePodSandbox",
                                           "ConfigPodSandbox", "KillPodSandbox"};
  for (const auto& s : steps) {
    if (!s.ok()) {
      return ::capstan::Fail(Code::kUnavailable, "{} {}: {}: {}",
                             kNames[static_cast<int>(s.action)], s.target, s.reason, s.message);
    }
  }
  return Ok();
}

}  // namespace capstan::kubelet::kuberuntime

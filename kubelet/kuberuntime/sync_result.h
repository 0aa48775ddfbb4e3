#pragma once
// The outcome of one SyncPod, step by step (kubecontainer.PodSyncResult): which action on
// which target failed with which reason. Reasons are the upstream ones the API shows as a
// container's waiting reason (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError, ...).

#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::kubelet::kuberuntime {

// Waiting reasons (pkg/kubelet/container/sync_result.go, images/types.go, kuberuntime).
inline constexpr char kCrashLoopBackOff[] = "CrashLoopBackOff";
inline constexpr char kErrImagePull[] = "ErrImagePull";
inline constexpr char kImagePullBackOff[] = "ImagePullBackOff";
inline constexpr char kErrImageNeverPull[] = "ErrImageNeverPull";
inline constexpr char kErrImageInspect[] = "ImageInspectError";
inline constexpr char kInvalidImageName[] = "InvalidImageName";
inline constexpr char kCreateContainerConfigError[] = "CreateContainerConfigError";
inline constexpr char kCreateContainerError[] = "CreateContainerError";
inline constexpr char kRunContainerError[] = "RunContainerError";
inline constexpr char kPostStartHookError[] = "PostStartHookError";
inline constexpr char kKillContainerError[] = "KillContainerError";
inline constexpr char kCreatePodSandboxError[] = "CreatePodSandboxError";
inline constexpr char kConfigPodSandboxError[] = "ConfigPodSandboxError";
inline constexpr char kKillPodSandboxError[] = "KillPodSandboxError";

// An error with the reason the API reports for it.
struct ReasonedError {
  std::string reason;
  std::string message;
};

enum class SyncAction {
  kStartContainer,
  kKillContainer,
  kRemoveContainer,
  kCreatePodSandbox,
  kConfigPodSandbox,
  kKillPodSandbox,
};

struct SyncStep {
  SyncAction action;
  std::string target;  // container name or sandbox id
  std::string reason;  // empty on success
  std::string message;
  bool ok() const { return reason.empty(); }
};

struct PodSyncResult {
  std::vector<SyncStep> steps;

  void Add(SyncAction action, std::string target) {
    steps.push_back({action, std::move(target), "", ""});
  }
  void Fail(SyncAction action, std::string target, ReasonedError e) {
    steps.push_back({action, std::move(target), std::move(e.reason), std::move(e.message)});
  }
  // The first failure as an Error ("StartContainer app: CrashLoopBackOff: back-off 10s ..."),
  // or Ok.
  Status ToStatus() const;
};

}  // namespace capstan::kubelet::kuberuntime

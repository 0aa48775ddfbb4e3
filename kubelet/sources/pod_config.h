#pragma once
// PodConfig: where pod sources meet. Each source (file now, API server later) hands over its
// complete set of pods whenever it changes; PodConfig turns the snapshots into incremental
// ADD / UPDATE / REMOVE updates, per source, for the Kubelet to drain (config.go's
// podStorage in incremental mode). A pod whose uid stays but whose spec, labels or
// annotations change is an UPDATE; the annotations the kubelet itself sets (config.seen,
// config.source) do not count. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/k8s/pod.h"

namespace capstan::kubelet::sources {

enum class PodOperation { kAdd, kUpdate, kRemove };
std::string_view PodOperationName(PodOperation op);

struct PodUpdate {
  PodOperation op;
  std::vector<api::k8s::Pod> pods;
  std::string source;
};

inline constexpr char kConfigSourceAnnotation[] = "kubernetes.io/config.source";
inline constexpr char kConfigHashAnnotation[] = "kubernetes.io/config.hash";
inline constexpr char kConfigSeenAnnotation[] = "kubernetes.io/config.seen";
inline constexpr char kConfigMirrorAnnotation[] = "kubernetes.io/config.mirror";
inline constexpr char kFileSource[] = "file";

class PodConfig {
 public:
  // Replaces everything `source` provides.
  void SetSourcePods(const std::string& source, std::vector<api::k8s::Pod> pods);
  // Updates queued since the last call, oldest first.
  std::vector<PodUpdate> Drain();
  // Waits (real time) until an update is queued or `timeout` passes; true when one is.
  bool WaitForUpdates(std::chrono::milliseconds timeout);
  // Whether `source` delivered its first snapshot (the kubelet cleans up orphans only after).
  bool SourceReady(const std::string& source) const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::map<std::string, api::k8s::Pod>> pods_;  // source -> uid -> pod
  std::vector<PodUpdate> queue_;
};

}  // namespace capstan::kubelet::sources

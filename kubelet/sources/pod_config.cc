#include "kubelet/sources/pod_config.h"

#include "api/k8s/codec.h"

namespace capstan::kubelet::sources {
namespace {

// The parts of a pod whose change makes an UPDATE.
api::k8s::Json Semantic(const api::k8s::Pod& pod) {
  api::k8s::Json j = api::k8s::EncodePod(pod);
  j.erase("status");
  auto& annotations = j["metadata"]["annotations"];
  if (annotations.is_object()) {
    for (const char* local :
         {kConfigSourceAnnotation, kConfigSeenAnnotation, kConfigMirrorAnnotation}) {
      annotations.erase(local);
    }
  }
  j["metadata"].erase("creationTimestamp");
  // The API server bumps it for every status the kubelet reports: no change of the pod.
  j["metadata"].erase("resourceVersion");
  return j;
}

}  // namespace

std::string_view PodOperationName(PodOperation op) {
  switch (op) {
    case PodOperation::kAdd: return "ADD";
    case PodOperation::kUpdate: return "UPDATE";
    case PodOperation::kRemove: return "REMOVE";
  }
  return "?";
}

void PodConfig::SetSourcePods(const std::string& source, std::vector<api::k8s::Pod> pods) {
  std::lock_guard lock(mu_);
  auto& existing = pods_[source];
  std::map<std::string, api::k8s::Pod> next;
  PodUpdate adds{PodOperation::kAdd, {}, source};
  PodUpdate updates{PodOperation::kUpdate, {}, source};
  PodUpdate removes{PodOperation::kRemove, {}, source};
  for (auto& pod : pods) {
    std::string uid = pod.metadata.uid;
    auto it = existing.find(uid);
    if (it == existing.end()) {
      adds.pods.push_back(pod);
    } else {
      // First sighting stays the "seen" time of the pod.
      if (auto seen = it->second.metadata.annotations.find(kConfigSeenAnnotation);
          seen != it->second.metadata.annotations.end()) {
        pod.metadata.annotations[kConfigSeenAnnotation] = seen->second;
      }
      if (Semantic(it->second) != Semantic(pod)) {
        updates.pods.push_back(pod);
      } else {
        pod = it->second;
      }
    }
    next.emplace(uid, std::move(pod));
  }
  for (const auto& [uid, pod] : existing) {
    if (!next.contains(uid)) {
      removes.pods.push_back(pod);
    }
  }
  existing = std::move(next);
  // Removals first: a changed static pod (new uid) frees its name before the new one starts.
  for (auto* u : {&removes, &adds, &updates}) {
    if (!u->pods.empty()) {
      queue_.push_back(std::move(*u));
    }
  }
  // An empty first snapshot still marks the source as seen.
  cv_.notify_all();
}

std::vector<PodUpdate> PodConfig::Drain() {
  std::lock_guard lock(mu_);
  return std::exchange(queue_, {});
}

bool PodConfig::WaitForUpdates(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return !queue_.empty(); });
}

bool PodConfig::SourceReady(const std::string& source) const {
  std::lock_guard lock(mu_);
  return pods_.contains(source);
}

}  // namespace capstan::kubelet::sources

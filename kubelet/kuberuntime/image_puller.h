#pragma once
// Makes a container's image present as its imagePullPolicy says (Always pulls, IfNotPresent
// pulls when absent, Never never pulls), with a per pod+image back-off after failed pulls
// (ImagePullBackOff), serialised when serializeImagePulls is set. With imagePullSecrets, each
// matching registry credential is tried in turn (pull_secrets.h). Thread-safe.

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "api/cri/runtime_service.h"
#include "api/k8s/pod.h"
#include "kubelet/events/recorder.h"
#include "kubelet/kuberuntime/sync_result.h"
#include "kubelet/util/backoff.h"

namespace capstan::kubelet::kuberuntime {

class ImagePuller {
 public:
  // `object_data` reads the pod's imagePullSecrets (null: no API server, pulls anonymous).
  using ObjectData = std::function<Result<std::map<std::string, std::string>>(
      const std::string& kind, const std::string& ns, const std::string& name)>;
  ImagePuller(api::cri::ImageService* images, const Clock* clock, bool serialize,
              events::EventRecorder* recorder = nullptr, ObjectData object_data = {});

  // The image's id (image_ref) once present.
  std::expected<std::string, ReasonedError> EnsureImageExists(
      const api::k8s::Pod& pod, const api::k8s::Container& c,
      const api::cri::v1::PodSandboxConfig& sandbox);

 private:
  std::expected<std::string, ReasonedError> Ensure(
      const api::k8s::Pod& pod, const api::k8s::Container& c,
      const api::cri::v1::PodSandboxConfig& sandbox,
      const std::function<void(const char*, const char*, const std::string&)>& record);

  api::cri::ImageService* images_;
  const Clock* clock_;
  bool serialize_;
  events::EventRecorder* recorder_;
  ObjectData object_data_;
  std::mutex pull_mu_;
  util::Backoff backoff_;
};

// "busybox" -> "busybox:latest"; digests and tags are kept. Errors on malformed names.
Result<std::string> ApplyDefaultImageTag(const std::string& image);

}  // namespace capstan::kubelet::kuberuntime

#include "kubelet/kuberuntime/image_puller.h"

#include <cctype>

#include "common/log.h"
#include "kubelet/kuberuntime/pull_secrets.h"

namespace capstan::kubelet::kuberuntime {
namespace {
const log::Logger kLog("kubelet");
}  // namespace

Result<std::string> ApplyDefaultImageTag(const std::string& image) {
  if (image.empty()) {
    return Fail(Code::kInvalidArgument, "image name is empty");
  }
  for (char ch : image) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      return Fail(Code::kInvalidArgument, "invalid image name {:?}", image);
    }
  }
  if (image.find('@') != std::string::npos) {
    return image;
  }
  auto slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  if (last.find(':') != std::string::npos) {
    return image;
  }
  return image + ":latest";
}

ImagePuller::ImagePuller(api::cri::ImageService* images, const Clock* clock, bool serialize,
                         events::EventRecorder* recorder, ObjectData object_data)
    : images_(images),
      clock_(clock),
      serialize_(serialize),
      recorder_(recorder),
      object_data_(std::move(object_data)),
      backoff_(clock, std::chrono::seconds(10), std::chrono::minutes(5)) {}

std::expected<std::string, ReasonedError> ImagePuller::EnsureImageExists(
    const api::k8s::Pod& pod, const api::k8s::Container& c,
    const api::cri::v1::PodSandboxConfig& sandbox) {
  // Upstream's events for each outcome, on the container.
  auto record = [&](const char* type, const char* reason, const std::string& message) {
    if (recorder_) {
      recorder_->PodEvent(pod, events::ContainerFieldPath(pod, c.name), type, reason, message);
    }
  };
  auto result = Ensure(pod, c, sandbox, record);
  if (!result && result.error().reason == kImagePullBackOff) {
    record(events::kNormal, "BackOff", result.error().message);
    record(events::kWarning, "Failed", "Error: ImagePullBackOff");
  } else if (!result && result.error().reason == kErrImagePull) {
    record(events::kWarning, "Failed", result.error().message);
    record(events::kWarning, "Failed", "Error: ErrImagePull");
  } else if (!result && result.error().reason == kErrImageNeverPull) {
    record(events::kWarning, "ErrImageNeverPull", result.error().message);
  }
  return result;
}

std::expected<std::string, ReasonedError> ImagePuller::Ensure(
    const api::k8s::Pod& pod, const api::k8s::Container& c,
    const api::cri::v1::PodSandboxConfig& sandbox,
    const std::function<void(const char*, const char*, const std::string&)>& record) {
  auto image = ApplyDefaultImageTag(c.image);
  if (!image) {
    return std::unexpected(
        ReasonedError{kInvalidImageName, fmt::format("Failed to apply default image tag {:?}: {}",
                                                     c.image, image.error().message())});
  }
  api::cri::v1::ImageStatusRequest status_req;
  status_req.mutable_image()->set_image(*image);
  auto status = images_->ImageStatus(status_req);
  if (!status) {
    return std::unexpected(ReasonedError{
        kErrImageInspect,
        fmt::format("Failed to inspect image {:?}: {}", c.image, status.error().message())});
  }
  std::string present_ref = status->has_image() ? status->image().id() : "";
  const std::string& policy = c.image_pull_policy;
  bool pull = policy == "Always" || (policy != "Never" && present_ref.empty());
  if (!pull) {
    if (!present_ref.empty()) {
      record(events::kNormal, "Pulled",
             fmt::format("Container image \"{}\" already present on machine", c.image));
      return present_ref;
    }
    return std::unexpected(ReasonedError{
        kErrImageNeverPull,
        fmt::format("Container image {:?} is not present with pull policy of Never", c.image)});
  }
  std::string key = pod.metadata.uid + "_" + c.image;
  if (backoff_.IsInBackOffSinceUpdate(key, clock_->Now())) {
    return std::unexpected(
        ReasonedError{kImagePullBackOff, fmt::format("Back-off pulling image {:?}", c.image)});
  }
  api::cri::v1::PullImageRequest pull_req;
  pull_req.mutable_image()->set_image(*image);
  pull_req.mutable_image()->set_user_specified_image(c.image);
  *pull_req.mutable_sandbox_config() = sandbox;
  kLog.Info("pulling image", {{"image", c.image}, {"pod", pod.metadata.name}});
  record(events::kNormal, "Pulling", fmt::format("Pulling image \"{}\"", c.image));
  auto pull_started = clock_->Monotonic();
  // The pod's registry credentials for this image, tried in order; none: anonymous. A
  // secret that cannot be read is skipped, as upstream does.
  std::vector<std::map<std::string, std::string>> secrets;
  if (object_data_) {
    for (const auto& ref : pod.spec.image_pull_secrets) {
      if (auto data = object_data_("Secret", pod.metadata.namespace_, ref.name)) {
        secrets.push_back(std::move(*data));
      } else {
        kLog.Warn(
            "unable to retrieve pull secret",
            {{"pod", pod.metadata.name}, {"secret", ref.name}, {"error", data.error().message()}});
      }
    }
  }
  std::vector<api::cri::v1::AuthConfig> credentials = CredentialsFor(*image, secrets);
  Result<api::cri::v1::PullImageResponse> pulled =
      [&]() -> Result<api::cri::v1::PullImageResponse> {
    std::unique_lock lock(pull_mu_, std::defer_lock);
    if (serialize_) {
      lock.lock();
    }
    if (credentials.empty()) return images_->PullImage(pull_req);
    Result<api::cri::v1::PullImageResponse> last = Fail(Code::kInternal, "no credentials");
    for (const auto& auth : credentials) {
      *pull_req.mutable_auth() = auth;
      last = images_->PullImage(pull_req);
      if (last) break;
    }
    return last;
  }();
  if (!pulled) {
    backoff_.Next(key, clock_->Now());
    return std::unexpected(ReasonedError{
        kErrImagePull,
        fmt::format("Failed to pull image {:?}: {}", c.image, pulled.error().message())});
  }
  backoff_.GC();
  kLog.Info("pulled image", {{"image", c.image}, {"ref", pulled->image_ref()}});
  auto took = std::chrono::duration<double>(clock_->Monotonic() - pull_started).count();
  record(events::kNormal, "Pulled",
         fmt::format("Successfully pulled image \"{}\" in {:.3f}s", c.image, took));
  return pulled->image_ref();
}

}  // namespace capstan::kubelet::kuberuntime

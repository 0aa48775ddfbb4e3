#pragma once
// FakeImageService: an in-memory CRI image store for tests. Images are known by the names
// they were added or pulled under (a name without a tag also matches ":latest"). Pulls are
// recorded and can be made to fail through recorder(). Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/cri/runtime_service.h"
#include "api/cri/testing/call_recorder.h"

namespace capstan::api::cri::testing {

class FakeImageService : public ImageService {
 public:
  CallRecorder& recorder() { return recorder_; }

  // Makes `name` present, as if pulled before; returns its image id.
  std::string AddImage(const std::string& name, uint64_t size = 1 << 20);
  // The id of a present image, matching the CRI's image_ref.
  std::optional<std::string> Resolve(const std::string& name) const;
  std::vector<std::string> Pulled() const;  // names PullImage was asked for, in order
  // Marks an image pinned (never garbage collected), as runtimes pin their sandbox image.
  void SetPinned(const std::string& name, bool pinned);

  Result<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& req) override;
  Result<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req) override;
  Result<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req) override;
  Result<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& req) override;
  Result<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest& req) override;

 private:
  std::optional<std::string> ResolveLocked(const std::string& name) const;
  std::string AddLocked(const std::string& name, uint64_t size);

  CallRecorder recorder_;
  mutable std::mutex mu_;
  std::map<std::string, v1::Image> images_;  // by id
  std::vector<std::string> pulled_;
};

}  // namespace capstan::api::cri::testing

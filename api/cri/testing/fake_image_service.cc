#include "api/cri/testing/fake_image_service.h"

#include <fmt/format.h>

#include <functional>

namespace capstan::api::cri::testing {
namespace {

// "busybox" and "busybox:latest" name the same image; digests and tags are kept as given.
std::string WithTag(const std::string& name) {
  auto slash = name.rfind('/');
  auto last = slash == std::string::npos ? name : name.substr(slash + 1);
  if (last.find(':') != std::string::npos || last.find('@') != std::string::npos) {
    return name;
  }
  return name + ":latest";
}

}  // namespace

std::string FakeImageService::AddImage(const std::string& name, uint64_t size) {
  std::lock_guard lock(mu_);
  return AddLocked(name, size);
}

std::string FakeImageService::AddLocked(const std::string& name, uint64_t size) {
  if (auto id = ResolveLocked(name)) {
    return *id;
  }
  std::string id = fmt::format("sha256:{:064x}", std::hash<std::string>{}(WithTag(name)));
  v1::Image& img = images_[id];
  img.set_id(id);
  img.add_repo_tags(WithTag(name));
  img.set_size(size);
  img.mutable_spec()->set_image(WithTag(name));
  return id;
}

std::optional<std::string> FakeImageService::Resolve(const std::string& name) const {
  std::lock_guard lock(mu_);
  return ResolveLocked(name);
}

std::optional<std::string> FakeImageService::ResolveLocked(const std::string& name) const {
  if (images_.contains(name)) {
    return name;
  }
  std::string tagged = WithTag(name);
  for (const auto& [id, img] : images_) {
    for (const auto& tag : img.repo_tags()) {
      if (tag == tagged) {
        return id;
      }
    }
  }
  return std::nullopt;
}

void FakeImageService::SetPinned(const std::string& name, bool pinned) {
  std::lock_guard lock(mu_);
  if (auto id = ResolveLocked(name)) {
    images_[*id].set_pinned(pinned);
  }
}

std::vector<std::string> FakeImageService::Pulled() const {
  std::lock_guard lock(mu_);
  return pulled_;
}

Result<v1::ListImagesResponse> FakeImageService::ListImages(const v1::ListImagesRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ListImages"));
  std::lock_guard lock(mu_);
  v1::ListImagesResponse resp;
  for (const auto& [id, img] : images_) {
    *resp.add_images() = img;
  }
  return resp;
}

Result<v1::ImageStatusResponse> FakeImageService::ImageStatus(const v1::ImageStatusRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ImageStatus"));
  std::lock_guard lock(mu_);
  v1::ImageStatusResponse resp;
  // CRI: an absent image is an empty response, not an error.
  if (auto id = ResolveLocked(req.image().image())) {
    *resp.mutable_image() = images_.at(*id);
  }
  return resp;
}

Result<v1::PullImageResponse> FakeImageService::PullImage(const v1::PullImageRequest& req) {
  {
    std::lock_guard lock(mu_);
    pulled_.push_back(req.image().image());
  }
  CAPSTAN_TRY(recorder_.Record("PullImage"));
  std::lock_guard lock(mu_);
  v1::PullImageResponse resp;
  resp.set_image_ref(AddLocked(req.image().image(), 1 << 20));
  return resp;
}

Result<v1::RemoveImageResponse> FakeImageService::RemoveImage(const v1::RemoveImageRequest& req) {
  CAPSTAN_TRY(recorder_.Record("RemoveImage"));
  std::lock_guard lock(mu_);
  if (auto id = ResolveLocked(req.image().image())) {
    images_.erase(*id);
  }
  return v1::RemoveImageResponse{};
}

Result<v1::ImageFsInfoResponse> FakeImageService::ImageFsInfo(const v1::ImageFsInfoRequest& req) {
  CAPSTAN_TRY(recorder_.Record("ImageFsInfo"));
  std::lock_guard lock(mu_);
  v1::ImageFsInfoResponse resp;
  uint64_t used = 0;
  for (const auto& [id, img] : images_) {
    used += img.size();
  }
  auto* fs = resp.add_image_filesystems();
  fs->mutable_fs_id()->set_mountpoint("/fake/images");
  fs->mutable_used_bytes()->set_value(used);
  return resp;
}

}  // namespace capstan::api::cri::testing

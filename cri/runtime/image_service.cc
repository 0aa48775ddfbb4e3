#include "cri/runtime/image_service.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace capstan::cri::runtime {

v1::Image ToCriImage(const image::Image& img) {
  v1::Image out;
  out.set_id(img.id);
  for (const auto& t : img.repo_tags) {
    out.add_repo_tags(t);
  }
  for (const auto& d : img.repo_digests) {
    out.add_repo_digests(d);
  }
  out.set_size(img.size);
  std::string user = img.config.user.substr(0, img.config.user.find(':'));
  int64_t uid = 0;
  auto [p, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
  if (!user.empty() && ec == std::errc() && p == user.data() + user.size()) {
    out.mutable_uid()->set_value(uid);
  } else {
    out.set_username(user);
  }
  out.mutable_spec()->set_image(img.id);
  return out;
}

Result<v1::ListImagesResponse> ImageServiceImpl::ListImages(const v1::ListImagesRequest& req) {
  v1::ListImagesResponse resp;
  const std::string& want = req.filter().image().image();
  if (!want.empty()) {
    if (auto img = store_->Get(want)) {
      *resp.add_images() = ToCriImage(*img);
    }
    return resp;
  }
  for (const auto& img : store_->List()) {
    *resp.add_images() = ToCriImage(img);
  }
  return resp;
}

Result<v1::ImageStatusResponse> ImageServiceImpl::ImageStatus(const v1::ImageStatusRequest& req) {
  v1::ImageStatusResponse resp;
  auto img = store_->Get(req.image().image());
  if (!img) {
    // The CRI answers an unknown image with an empty status, not an error.
    if (img.error().code() == Code::kNotFound) {
      return resp;
    }
    return Fail(img.error());
  }
  *resp.mutable_image() = ToCriImage(*img);
  if (req.verbose()) {
    nlohmann::json info{{"layers", nlohmann::json::array()},
                        {"env", img->config.env},
                        {"entrypoint", img->config.entrypoint},
                        {"cmd", img->config.cmd},
                        {"workingDir", img->config.working_dir}};
    for (const auto& l : img->layers) {
      info["layers"].push_back(l.string());
    }
    (*resp.mutable_info())["info"] = info.dump();
  }
  return resp;
}

Result<v1::PullImageResponse> ImageServiceImpl::PullImage(const v1::PullImageRequest& req) {
  if (req.image().image().empty()) {
    return Fail(Code::kInvalidArgument, "pull: image is required");
  }
  image::AuthConfig auth{req.auth().username(), req.auth().password(), req.auth().auth(),
                         req.auth().identity_token(), req.auth().registry_token()};
  CAPSTAN_ASSIGN_OR_RETURN(image::Image img, store_->Pull(req.image().image(), auth));
  v1::PullImageResponse resp;
  resp.set_image_ref(img.id);
  return resp;
}

Result<v1::RemoveImageResponse> ImageServiceImpl::RemoveImage(const v1::RemoveImageRequest& req) {
  CAPSTAN_TRY(store_->Remove(req.image().image()));
  return v1::RemoveImageResponse{};
}

Result<v1::ImageFsInfoResponse> ImageServiceImpl::ImageFsInfo(const v1::ImageFsInfoRequest&) {
  CAPSTAN_ASSIGN_OR_RETURN(image::FsUsage usage, store_->Usage());
  v1::ImageFsInfoResponse resp;
  auto* fs = resp.add_image_filesystems();
  fs->set_timestamp(UnixNanos(WallNow()));
  fs->mutable_fs_id()->set_mountpoint(usage.mountpoint.string());
  fs->mutable_used_bytes()->set_value(usage.used_bytes);
  fs->mutable_inodes_used()->set_value(usage.inodes_used);
  return resp;
}

}  // namespace capstan::cri::runtime

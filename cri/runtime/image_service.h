#pragma once
// ImageServiceImpl: the CRI ImageService over capstan's image store.

#include "api/cri/runtime_service.h"
#include "cri/image/store.h"

namespace capstan::cri::runtime {

namespace v1 = ::runtime::v1;

class ImageServiceImpl : public api::cri::ImageService {
 public:
  explicit ImageServiceImpl(image::Store* store) : store_(store) {}

  Result<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& req) override;
  Result<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req) override;
  Result<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req) override;
  Result<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& req) override;
  Result<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest& req) override;

 private:
  image::Store* store_;
};

// The CRI view of a stored image (uid or username from the image's USER).
v1::Image ToCriImage(const image::Image& img);

}  // namespace capstan::cri::runtime

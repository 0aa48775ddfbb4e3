#pragma once
// gRPC adapters: serve an api::cri::RuntimeService / ImageService on the wire. This is the
// edge where Error becomes grpc::Status, and where every RPC is logged and timed once.

#include <memory>

#include "api/cri/runtime/v1/api.grpc.pb.h"
#include "api/cri/runtime_service.h"

namespace capstan::cri::server {

std::unique_ptr<::runtime::v1::RuntimeService::Service> NewRuntimeGrpcService(
    api::cri::RuntimeService* impl);
std::unique_ptr<::runtime::v1::ImageService::Service> NewImageGrpcService(
    api::cri::ImageService* impl);

grpc::StatusCode ToGrpcCode(Code code);

}  // namespace capstan::cri::server

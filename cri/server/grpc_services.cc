#include "cri/server/grpc_services.h"

#include <chrono>

#include "api/cri/grpc_wire.h"
#include "common/log.h"

namespace capstan::cri::server {

namespace v1 = ::runtime::v1;

grpc::StatusCode ToGrpcCode(Code code) {
  switch (code) {
    case Code::kOk: return grpc::StatusCode::OK;
    case Code::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case Code::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case Code::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case Code::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case Code::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case Code::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case Code::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case Code::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case Code::kOutOfRange: return grpc::StatusCode::OUT_OF_RANGE;
    case Code::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case Code::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}

namespace {

const log::Logger kLog("cri");

template <typename Fn, typename Resp>
grpc::Status Call(const char* rpc, Fn&& fn, Resp* resp) {
  auto start = std::chrono::steady_clock::now();
  auto result = fn();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (!result) {
    const Error& e = result.error();
    if (e.code() == Code::kNotFound || e.code() == Code::kUnimplemented) {
      kLog.Debug("rpc failed", {{"rpc", rpc}, {"us", us}, {"error", e.ToString()}});
    } else {
      kLog.Warn("rpc failed", {{"rpc", rpc}, {"us", us}, {"error", e.ToString()}});
    }
    return grpc::Status(ToGrpcCode(e.code()), e.message());
  }
  kLog.Debug("rpc", {{"rpc", rpc}, {"us", us}});
  *resp = std::move(*result);
  return grpc::Status::OK;
}

#define CAPSTAN_GRPC_ADAPT(name)                                                                  \
  grpc::Status name(grpc::ServerContext*, const v1::name##Request* req, v1::name##Response* resp) \
      override {                                                                                  \
    return Call(                                                                                  \
        #name, [&] { return impl_->name(*req); }, resp);                                          \
  }

class RuntimeGrpc final : public v1::RuntimeService::Service {
 public:
  explicit RuntimeGrpc(api::cri::RuntimeService* impl) : impl_(impl) {}
  CAPSTAN_CRI_RUNTIME_RPCS(CAPSTAN_GRPC_ADAPT)

  // A stream for as long as the client stays: the implementation polls the token, which
  // sees the client go away (or the server shut down) through IsCancelled.
  grpc::Status GetContainerEvents(grpc::ServerContext* ctx, const v1::GetEventsRequest* req,
                                  grpc::ServerWriter<v1::ContainerEventResponse>* writer) override {
    CancelToken cancel([ctx] { return ctx->IsCancelled(); });
    kLog.Debug("events stream opened", {{"peer", ctx->peer()}});
    auto st = impl_->GetContainerEvents(
        *req, [writer](const v1::ContainerEventResponse& ev) { return writer->Write(ev); }, cancel,
        [ctx, writer] {
          ctx->AddInitialMetadata(api::cri::kEventsSubscribedMetadata, "1");
          writer->SendInitialMetadata();
        });
    if (!st) {
      const Error& e = st.error();
      if (e.code() == Code::kUnimplemented) {
        kLog.Debug("events stream failed", {{"error", e.ToString()}});
      } else {
        kLog.Warn("events stream failed", {{"peer", ctx->peer()}, {"error", e.ToString()}});
      }
      return grpc::Status(ToGrpcCode(e.code()), e.message());
    }
    kLog.Debug("events stream closed", {{"peer", ctx->peer()}});
    return grpc::Status::OK;
  }

 private:
  api::cri::RuntimeService* impl_;
};

class ImageGrpc final : public v1::ImageService::Service {
 public:
  explicit ImageGrpc(api::cri::ImageService* impl) : impl_(impl) {}
  CAPSTAN_CRI_IMAGE_RPCS(CAPSTAN_GRPC_ADAPT)

 private:
  api::cri::ImageService* impl_;
};

}  // namespace

std::unique_ptr<v1::RuntimeService::Service> NewRuntimeGrpcService(api::cri::RuntimeService* impl) {
  return std::make_unique<RuntimeGrpc>(impl);
}
std::unique_ptr<v1::ImageService::Service> NewImageGrpcService(api::cri::ImageService* impl) {
  return std::make_unique<ImageGrpc>(impl);
}

}  // namespace capstan::cri::server

#pragma once
// The CRI over the wire: RuntimeService and ImageService implemented by a gRPC client to a
// runtime's unix socket (capstan-cri, containerd, CRI-O). This is the edge where grpc::Status
// becomes Error again, so the kubelet sees the same codes the runtime returned.
//
// Thread safety: every method may be called from any thread concurrently (gRPC stubs are).
// Connection: the channel connects lazily and reconnects by itself; a runtime that is down
// shows up as Unavailable on each call, never as a crash.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "api/cri/runtime/v1/api.grpc.pb.h"
#include "api/cri/runtime_service.h"
#include "common/error.h"

namespace capstan::api::cri {

struct GrpcClientOptions {
  // Deadline of every unary call (the kubelet's runtimeRequestTimeout, 2 minutes upstream).
  std::chrono::milliseconds timeout = std::chrono::minutes(2);
  // PullImage may legitimately take long on slow registries; 0 means no deadline.
  std::chrono::milliseconds image_pull_timeout = std::chrono::minutes(15);
  // Lists of many containers and ExecSync output (16 MiB each stream) exceed gRPC's 4 MiB.
  int max_message_size = 32 << 20;
};

Code FromGrpcCode(grpc::StatusCode code);

// Accepts "unix:///abs/path" or "/abs/path"; returns the gRPC target "unix:///abs/path".
Result<std::string> ParseCriEndpoint(std::string_view endpoint);

class GrpcCriClient final : public RuntimeService, public ImageService {
 public:
  // Validates the endpoint and creates the (lazily connecting) channel.
  static Result<std::unique_ptr<GrpcCriClient>> Connect(std::string_view endpoint,
                                                        GrpcClientOptions options = {});
  // Over an existing channel (tests use an in-process one).
  GrpcCriClient(std::shared_ptr<grpc::Channel> channel, GrpcClientOptions options);

#define CAPSTAN_CRI_CLIENT_DECLARE(name) \
  Result<v1::name##Response> name(const v1::name##Request& request) override;
  CAPSTAN_CRI_RUNTIME_RPCS(CAPSTAN_CRI_CLIENT_DECLARE)
  CAPSTAN_CRI_IMAGE_RPCS(CAPSTAN_CRI_CLIENT_DECLARE)
#undef CAPSTAN_CRI_CLIENT_DECLARE

  // A server stream without a deadline; cancelling the token cancels the call
  // (ClientContext::TryCancel).
  ::capstan::Status GetContainerEvents(const v1::GetEventsRequest& request,
                                       const ContainerEventSink& sink, const CancelToken& cancel,
                                       const std::function<void()>& on_connected) override;

 private:
  // The deadline for one call of `rpc`: ExecSync and StopContainer get their own timeout on
  // top of the default (as the upstream remote runtime does), PullImage its own.
  std::chrono::milliseconds TimeoutFor(std::string_view rpc, int64_t extra_s) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> image_;
  GrpcClientOptions options_;
};

}  // namespace capstan::api::cri

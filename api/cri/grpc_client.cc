#include "api/cri/grpc_client.h"

#include <algorithm>
#include <type_traits>

#include "api/cri/grpc_wire.h"

namespace capstan::api::cri {

Code FromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return Code::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT: return Code::kInvalidArgument;
    case grpc::StatusCode::OUT_OF_RANGE: return Code::kOutOfRange;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return Code::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kFailedPrecondition;
    case grpc::StatusCode::PERMISSION_DENIED: return Code::kPermissionDenied;
    case grpc::StatusCode::UNAUTHENTICATED: return Code::kPermissionDenied;
    // Cancelled and aborted calls are worth retrying, like an unavailable runtime.
    case grpc::StatusCode::UNAVAILABLE: return Code::kUnavailable;
    case grpc::StatusCode::CANCELLED: return Code::kUnavailable;
    case grpc::StatusCode::ABORTED: return Code::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Code::kResourceExhausted;
    case grpc::StatusCode::UNIMPLEMENTED: return Code::kUnimplemented;
    default: return Code::kInternal;
  }
}

Result<std::string> ParseCriEndpoint(std::string_view endpoint) {
  std::string_view path = endpoint;
  if (endpoint.starts_with("unix://")) {
    path = endpoint.substr(7);
  } else if (endpoint.find("://") != std::string_view::npos) {
    return Fail(Code::kInvalidArgument,
                "container runtime endpoint {:?}: only unix:// sockets are supported", endpoint);
  }
  if (!path.starts_with("/")) {
    return Fail(Code::kInvalidArgument,
                "container runtime endpoint {:?}: the socket path must be absolute", endpoint);
  }
  return "unix://" + std::string(path);
}

Result<std::unique_ptr<GrpcCriClient>> GrpcCriClient::Connect(std::string_view endpoint,
                                                              GrpcClientOptions options) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string target, ParseCriEndpoint(endpoint));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_size);
  args.SetMaxSendMessageSize(options.max_message_size);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  return std::make_unique<GrpcCriClient>(std::move(channel), options);
}

GrpcCriClient::GrpcCriClient(std::shared_ptr<grpc::Channel> channel, GrpcClientOptions options)
    : channel_(std::move(channel)),
      runtime_(::runtime::v1::RuntimeService::NewStub(channel_)),
      image_(::runtime::v1::ImageService::NewStub(channel_)),
      options_(options) {}

std::chrono::milliseconds GrpcCriClient::TimeoutFor(std::string_view rpc, int64_t extra_s) const {
  if (rpc == "PullImage") {
    return options_.image_pull_timeout;
  }
  // No exec timeout means the command may run as long as it likes.
  if (rpc == "ExecSync" && extra_s <= 0) {
    return std::chrono::milliseconds(0);
  }
  // StopContainer waits out the grace period, ExecSync the command's own timeout.
  return options_.timeout + std::chrono::seconds(std::max<int64_t>(extra_s, 0));
}

namespace {

// The seconds a call may legitimately take on top of the usual deadline.
template <typename Req>
int64_t ExtraTimeoutOf(const Req& req) {
  if constexpr (std::is_same_v<Req, v1::ExecSyncRequest> ||
                std::is_same_v<Req, v1::StopContainerRequest>) {
    return req.timeout();
  } else {
    return 0;
  }
}

}  // namespace

#define CAPSTAN_CRI_CLIENT_DEFINE(stub, name)                                              \
  Result<v1::name##Response> GrpcCriClient::name(const v1::name##Request& request) {       \
    grpc::ClientContext ctx;                                                               \
    auto timeout = TimeoutFor(#name, ExtraTimeoutOf(request));                             \
    if (timeout.count() > 0) {                                                             \
      ctx.set_deadline(std::chrono::system_clock::now() + timeout);                        \
    }                                                                                      \
    v1::name##Response response;                                                           \
    grpc::Status st = stub->name(&ctx, request, &response);                                \
    if (!st.ok()) {                                                                        \
      return Fail(FromGrpcCode(st.error_code()), "CRI {}: {}", #name, st.error_message()); \
    }                                                                                      \
    return response;                                                                       \
  }
#define CAPSTAN_CRI_CLIENT_DEFINE_RUNTIME(name) CAPSTAN_CRI_CLIENT_DEFINE(runtime_, name)
#define CAPSTAN_CRI_CLIENT_DEFINE_IMAGE(name) CAPSTAN_CRI_CLIENT_DEFINE(image_, name)

CAPSTAN_CRI_RUNTIME_RPCS(CAPSTAN_CRI_CLIENT_DEFINE_RUNTIME)
CAPSTAN_CRI_IMAGE_RPCS(CAPSTAN_CRI_CLIENT_DEFINE_IMAGE)

::capstan::Status GrpcCriClient::GetContainerEvents(const v1::GetEventsRequest& request,
                                                    const ContainerEventSink& sink,
                                                    const CancelToken& cancel,
                                                    const std::function<void()>& on_connected) {
  if (cancel.Cancelled()) {
    return Ok();
  }
  grpc::ClientContext ctx;
  // Unregistered (and so finished running) before ctx goes away.
  auto registration = cancel.OnCancel([&ctx] { ctx.TryCancel(); });
  std::unique_ptr<grpc::ClientReader<v1::ContainerEventResponse>> reader =
      runtime_->GetContainerEvents(&ctx, request);
  bool connected = false;
  auto connect = [&] {
    if (!connected) {
      connected = true;
      if (on_connected) {
        on_connected();
      }
    }
  };
  // capstan-cri says when it has subscribed us; other runtimes send their headers with the
  // first event (or with the error that ends the call).
  reader->WaitForInitialMetadata();
  // Compared as string_views: multimap<string_ref>::contains() missed the key in optimised
  // builds (Debian's gRPC 1.51), though iterating shows it.
  const std::string_view subscribed(kEventsSubscribedMetadata);
  for (const auto& [key, value] : ctx.GetServerInitialMetadata()) {
    if (std::string_view(key.data(), key.size()) == subscribed) {
      connect();
    }
  }
  v1::ContainerEventResponse event;
  bool stopped = false;
  while (reader->Read(&event)) {
    connect();
    if (!sink(event)) {
      stopped = true;
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  if (stopped || cancel.Cancelled()) {
    return Ok();
  }
  if (st.ok()) {
    // A server ending the stream by itself is as good as a broken one: events may follow
    // that nobody hears.
    return Fail(Code::kUnavailable, "CRI GetContainerEvents: the runtime ended the stream");
  }
  return Fail(FromGrpcCode(st.error_code()), "CRI GetContainerEvents: {}", st.error_message());
}

}  // namespace capstan::api::cri

#include "kubelet/prober/grpc_health.h"

#include <grpcpp/grpcpp.h>

#include "api/grpc/health/v1/health.grpc.pb.h"

namespace capstan::kubelet::prober {
namespace {

namespace health = ::grpc::health::v1;

Code CodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    case grpc::StatusCode::UNIMPLEMENTED: return Code::kUnimplemented;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::UNAVAILABLE: return Code::kUnavailable;
    default: return Code::kInternal;
  }
}

}  // namespace

Result<bool> GrpcHealthClient::Check(const std::string& host, int port, const std::string& service,
                                     std::chrono::milliseconds timeout) {
  std::string target = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                           : fmt::format("{}:{}", host, port);
  auto deadline = std::chrono::system_clock::now() + timeout;
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(user_agent_);
  // A probe talks to the pod directly: no proxy from the environment, no connection shared
  // with other probes, no retries beyond the one call.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  // Connect first, so that "nothing listens" and "timed out" read apart in the message. A
  // refused connection fails at once rather than waiting out the timeout in reconnects.
  for (grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
       state != GRPC_CHANNEL_READY; state = channel->GetState(true)) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return Fail(Code::kUnavailable, "grpc probe: failed to connect to {}", target);
    }
    if (!channel->WaitForStateChange(state, deadline)) {
      return Fail(Code::kDeadlineExceeded, "grpc probe: failed to connect to {} within {} ms",
                  target, timeout.count());
    }
  }
  auto stub = health::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline);
  health::HealthCheckRequest req;
  req.set_service(service);
  health::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, req, &resp);
  if (!st.ok()) {
    if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return Fail(Code::kUnimplemented,
                  "grpc probe: {} does not implement the grpc health protocol "
                  "(grpc.health.v1.Health): {}",
                  target, st.error_message());
    }
    if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return Fail(Code::kDeadlineExceeded,
                  "grpc probe: health rpc to {} did not complete within {} ms", target,
                  timeout.count());
    }
    return Fail(CodeOf(st.error_code()), "grpc probe: health rpc to {} failed: {}", target,
                st.error_message());
  }
  return resp.status() == health::HealthCheckResponse::SERVING;
}

}  // namespace capstan::kubelet::prober

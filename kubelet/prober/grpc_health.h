#pragma once
// GrpcHealthClient: grpc probes as upstream runs them (pkg/probe/grpc): a fresh insecure
// connection to host:port and one grpc.health.v1.Health/Check call, all within the probe's
// timeout. SERVING is healthy; any other status is not. A server that cannot be reached,
// answers with an error (Unimplemented: it has no health service) or runs out of time is an
// error, which the prober counts as a failure.
//
// Thread-safe: every Check has its own channel.

#include <string>

#include "kubelet/prober/prober.h"

namespace capstan::kubelet::prober {

class GrpcHealthClient : public GrpcHealthChecker {
 public:
  // `user_agent` as upstream sends it: kube-probe/<major>.<minor>.
  explicit GrpcHealthClient(std::string user_agent = "kube-probe/1.30")
      : user_agent_(std::move(user_agent)) {}

  Result<bool> Check(const std::string& host, int port, const std::string& service,
                     std::chrono::milliseconds timeout) override;

 private:
  std::string user_agent_;
};

}  // namespace capstan::kubelet::prober

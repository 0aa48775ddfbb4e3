#pragma once
// A gRPC server on a unix socket, as CSI drivers and the kubelet's plugin registration serve:
// a stale socket from a previous run is replaced, and the socket is for root only.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace capstan::csi {

// `endpoint` is "unix:///path" or a bare path.
Result<std::unique_ptr<grpc::Server>> ServeUnix(const std::string& endpoint,
                                                const std::vector<grpc::Service*>& services);

std::string SocketPath(const std::string& endpoint);

}  // namespace capstan::csi

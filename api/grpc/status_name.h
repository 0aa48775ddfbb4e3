#pragma once
// A gRPC status code by the name Go's grpc prints ("NotFound"), for messages people read
// next to upstream's ("rpc error: code = NotFound desc = ...").

#include <grpcpp/support/status.h>

namespace capstan::api::grpc_util {

const char* StatusCodeName(grpc::StatusCode code);

}  // namespace capstan::api::grpc_util

#pragma once
// Request checks every CSI driver makes, answering with the spec's status codes: a missing
// required field is INVALID_ARGUMENT naming the field, a capability without an access type or
// mode is INVALID_ARGUMENT, and a busy volume is ABORTED.

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

#include <google/protobuf/repeated_field.h>

#include "api/csi/v1/csi.pb.h"

namespace capstan::csi {

inline grpc::Status StatusOf(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}
inline grpc::Status InvalidArgument(std::string message) {
  return StatusOf(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}
inline grpc::Status NotFound(std::string message) {
  return StatusOf(grpc::StatusCode::NOT_FOUND, std::move(message));
}
grpc::Status Busy(std::string_view key);

// INVALID_ARGUMENT "<field> is required" when `value` is empty.
grpc::Status Require(std::string_view value, std::string_view field);

// A capability must name an access type (mount or block) and a known access mode.
grpc::Status CheckCapability(const ::csi::v1::VolumeCapability& cap);
grpc::Status CheckCapabilities(
    const google::protobuf::RepeatedPtrField<::csi::v1::VolumeCapability>& caps);
// A node request's capability: present, valid, and a mount (these drivers make no block
// volumes).
template <typename Request>
grpc::Status CheckMountCapability(const Request& req) {
  if (!req.has_volume_capability()) return InvalidArgument("volume_capability is required");
  if (auto st = CheckCapability(req.volume_capability()); !st.ok()) return st;
  if (req.volume_capability().has_block()) {
    return InvalidArgument("block volumes are not supported by this driver");
  }
  return grpc::Status::OK;
}

// The bytes a volume gets for a capacity range: required (or `fallback` when unset), refused
// with OUT_OF_RANGE when the limit is below what is required or above `max`.
grpc::Status SizeFor(const ::csi::v1::CapacityRange& range, int64_t fallback, int64_t max,
                     int64_t* bytes);

}  // namespace capstan::csi

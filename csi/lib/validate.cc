#include "csi/lib/validate.h"

#include <fmt/format.h>

namespace capstan::csi {

using ::csi::v1::VolumeCapability;

grpc::Status Busy(std::string_view key) {
  return StatusOf(grpc::StatusCode::ABORTED,
                  fmt::format("an operation for {} is already in progress", key));
}

grpc::Status Require(std::string_view value, std::string_view field) {
  if (value.empty()) {
    return InvalidArgument(fmt::format("{} is required", field));
  }
  return grpc::Status::OK;
}

grpc::Status CheckCapability(const VolumeCapability& cap) {
  if (cap.access_type_case() == VolumeCapability::ACCESS_TYPE_NOT_SET) {
    return InvalidArgument("volume capability needs an access type (mount or block)");
  }
  if (!cap.has_access_mode() || cap.access_mode().mode() == VolumeCapability::AccessMode::UNKNOWN) {
    return InvalidArgument("volume capability needs an access mode");
  }
  return grpc::Status::OK;
}

grpc::Status CheckCapabilities(const google::protobuf::RepeatedPtrField<VolumeCapability>& caps) {
  if (caps.empty()) {
    return InvalidArgument("volume capabilities are required");
  }
  for (const auto& cap : caps) {
    if (auto st = CheckCapability(cap); !st.ok()) {
      return st;
    }
  }
  return grpc::Status::OK;
}

grpc::Status SizeFor(const ::csi::v1::CapacityRange& range, int64_t fallback, int64_t max,
                     int64_t* bytes) {
  int64_t required = range.required_bytes();
  int64_t limit = range.limit_bytes();
  if (required < 0 || limit < 0) {
    return StatusOf(grpc::StatusCode::OUT_OF_RANGE, "capacity cannot be negative");
  }
  if (limit != 0 && required > limit) {
    return StatusOf(grpc::StatusCode::OUT_OF_RANGE,
                    fmt::format("required {} bytes exceeds the limit of {}", required, limit));
  }
  int64_t size = required != 0 ? required : fallback;
  if (limit != 0 && size > limit) {
    size = limit;
  }
  if (size > max) {
    return StatusOf(grpc::StatusCode::OUT_OF_RANGE,
                    fmt::format("{} bytes exceeds the largest volume of {} bytes", size, max));
  }
  *bytes = size;
  return grpc::Status::OK;
}

}  // namespace capstan::csi

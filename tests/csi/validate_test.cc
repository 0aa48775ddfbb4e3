#include "csi/lib/validate.h"

#include <gtest/gtest.h>

#include "csi/lib/keyed_locks.h"

namespace capstan::csi {
namespace {

using ::csi::v1::VolumeCapability;

TEST(CsiValidate, RequireNamesTheField) {
  auto st = Require("", "volume_id");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "volume_id is required");
  EXPECT_TRUE(Require("v", "volume_id").ok());
}

TEST(CsiValidate, CapabilityNeedsAccessTypeAndMode) {
  VolumeCapability cap;
  EXPECT_EQ(CheckCapability(cap).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  cap.mutable_mount();
  EXPECT_EQ(CheckCapability(cap).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  cap.mutable_access_mode()->set_mode(VolumeCapability::AccessMode::SINGLE_NODE_WRITER);
  EXPECT_TRUE(CheckCapability(cap).ok());
  google::protobuf::RepeatedPtrField<VolumeCapability> none;
  EXPECT_EQ(CheckCapabilities(none).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(CsiValidate, SizeForRange) {
  ::csi::v1::CapacityRange range;
  int64_t bytes = 0;
  ASSERT_TRUE(SizeFor(range, 100, 1000, &bytes).ok());
  EXPECT_EQ(bytes, 100);  // unset: the fallback
  range.set_required_bytes(300);
  ASSERT_TRUE(SizeFor(range, 100, 1000, &bytes).ok());
  EXPECT_EQ(bytes, 300);
  range.set_required_bytes(0);
  range.set_limit_bytes(50);
  ASSERT_TRUE(SizeFor(range, 100, 1000, &bytes).ok());
  EXPECT_EQ(bytes, 50);  // the fallback never exceeds the limit
  range.set_required_bytes(60);
  EXPECT_EQ(SizeFor(range, 100, 1000, &bytes).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  range.set_limit_bytes(0);
  range.set_required_bytes(2000);
  EXPECT_EQ(SizeFor(range, 100, 1000, &bytes).error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST(CsiKeyedLocks, SecondHolderIsRefusedUntilTheFirstLetsGo) {
  KeyedLocks locks;
  {
    auto first = locks.TryLock("vol-1");
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(locks.TryLock("vol-1").has_value());
    EXPECT_TRUE(locks.TryLock("vol-2").has_value());
  }
  EXPECT_TRUE(locks.TryLock("vol-1").has_value());
}

}  // namespace
}  // namespace capstan::csi

#include "common/error.h"

#include <gtest/gtest.h>

namespace capstan {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return Fail(Code::kInvalidArgument, "{} is odd", x);
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  CAPSTAN_ASSIGN_OR_RETURN(int h, Half(x));
  CAPSTAN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ErrorTest, PropagatesAndWraps) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  Error wrapped = r.error().Wrap("quartering {}", 6);
  EXPECT_EQ(wrapped.message(), "quartering 6: 3 is odd");
}

TEST(ErrorTest, ErrnoMapsToCode) {
  EXPECT_EQ(ErrnoError(ENOENT, "x").code(), Code::kNotFound);
  EXPECT_EQ(ErrnoError(EEXIST, "x").code(), Code::kAlreadyExists);
  EXPECT_EQ(ErrnoError(EPERM, "x").code(), Code::kPermissionDenied);
  EXPECT_EQ(ErrnoError(ENOENT, "opening f").message(), "opening f: No such file or directory");
}

}  // namespace
}  // namespace capstan

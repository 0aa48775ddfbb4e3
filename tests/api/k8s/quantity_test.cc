#include "api/k8s/quantity.h"

#include <gtest/gtest.h>

#include "api/k8s/meta.h"

namespace capstan::api::k8s {
namespace {

int64_t Milli(std::string_view s) {
  auto q = Quantity::Parse(s);
  EXPECT_TRUE(q) << s << ": " << q.error().message();
  return q ? q->MilliValue() : -1;
}

TEST(QuantityTest, ParsesDecimalBinaryAndExponentForms) {
  EXPECT_EQ(Milli("100m"), 100);
  EXPECT_EQ(Milli("1"), 1000);
  EXPECT_EQ(Milli("0.5"), 500);
  EXPECT_EQ(Milli("1.5"), 1500);
  EXPECT_EQ(Milli(".25"), 250);
  EXPECT_EQ(Milli("128Mi"), 128LL * 1024 * 1024 * 1000);
  EXPECT_EQ(Milli("1Gi"), 1024LL * 1024 * 1024 * 1000);
  EXPECT_EQ(Milli("1G"), 1000000000LL * 1000);
  EXPECT_EQ(Milli("1k"), 1000 * 1000);
  EXPECT_EQ(Milli("2Ki"), 2048 * 1000);
  EXPECT_EQ(Milli("1.5Gi"), 1610612736LL * 1000);
  EXPECT_EQ(Milli("1e3"), 1000 * 1000);
  EXPECT_EQ(Milli("1E3"), 1000 * 1000);
  EXPECT_EQ(Milli("5e-3"), 5);
  EXPECT_EQ(Milli("1M"), 1000000LL * 1000);
  EXPECT_EQ(Milli("+3"), 3000);
  EXPECT_EQ(Milli("-3"), -3000);
  EXPECT_EQ(Milli("0"), 0);
  // Below a milli rounds up, as the API server does.
  EXPECT_EQ(Milli("1u"), 1);
  EXPECT_EQ(Milli("100n"), 1);
  EXPECT_EQ(Milli("1500u"), 2);
}

TEST(QuantityTest, ValueRoundsUp) {
  EXPECT_EQ(Quantity::Parse("100m")->Value(), 1);
  EXPECT_EQ(Quantity::Parse("2")->Value(), 2);
  EXPECT_EQ(Quantity::Parse("128Mi")->Value(), 134217728);
  EXPECT_EQ(Quantity::Parse("250m")->ToString(), "250m");
  EXPECT_EQ(Quantity::FromMilli(1500).ToString(), "1500m");
  EXPECT_EQ(Quantity::FromUnits(2).ToString(), "2");
}

TEST(QuantityTest, RejectsMalformedValues) {
  for (const char* bad : {"", "abc", "1Qi", "1.2.3", "m", "1 Mi", "1e", "1ee3", "--1", "1KiB",
                          "99999999999999999999999Ei"}) {
    EXPECT_FALSE(Quantity::Parse(bad)) << bad;
  }
  auto q = Quantity::Parse("12x");
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("12x"), std::string::npos);
}

TEST(TimeTest, ParsesAndFormatsRfc3339) {
  auto t = ParseTime("2026-01-02T03:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatTime(*t), "2026-01-02T03:04:05Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-02T03:04:05.999+01:00")), "2026-01-02T02:04:05Z");
  EXPECT_FALSE(ParseTime("2026-01-02"));
  EXPECT_FALSE(ParseTime("2026-13-02T03:04:05Z"));
  EXPECT_FALSE(ParseTime("2026-01-02T03:04:05"));
}

}  // namespace
}  // namespace capstan::api::k8s

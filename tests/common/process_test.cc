#include "common/process.h"

#include <gtest/gtest.h>

namespace capstan {
namespace {

TEST(ProcessTest, CapturesOutputAndExitCode) {
  auto r =
      RunCommand({.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"}, .stdin_data = "hello"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->out, "hello");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
}

TEST(ProcessTest, TimeoutKills) {
  auto r = RunCommand({.argv = {"/bin/sleep", "10"}}, std::chrono::milliseconds(100));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kDeadlineExceeded);
}

TEST(ProcessTest, EnvIsReplacedWhenGiven) {
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "echo $FOO"}, .env = {{"FOO=bar"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "bar\n");
}

}  // namespace
}  // namespace capstan

namespace capstan {
namespace {

TEST(ProcessTest, ReturnsWhenTheChildExitsEvenIfAGrandchildHoldsThePipes) {
  // Without the exit check this would wait for the background sleep (and time out).
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "sleep 30 & echo hi"}}, std::chrono::seconds(5));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->out, "hi\n");
  EXPECT_EQ(r->exit_code, 0);
}

}  // namespace
}  // namespace capstan

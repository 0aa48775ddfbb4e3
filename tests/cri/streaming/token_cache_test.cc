#include "cri/streaming/token_cache.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace capstan::cri::streaming {
namespace {

StreamRequest ExecOf(const std::string& id) {
  StreamRequest r;
  r.container_id = id;
  return r;
}

TEST(TokenCache, ATokenIsGoodOnce) {
  TokenCache cache;
  auto token = cache.Insert(ExecOf("c1"));
  ASSERT_TRUE(token);
  auto got = cache.Consume(*token);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->container_id, "c1");
  EXPECT_FALSE(cache.Consume(*token));
  EXPECT_FALSE(cache.Consume("made-up"));
}

TEST(TokenCache, TokensAreUnguessableAndUrlSafe) {
  TokenCache cache;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto token = cache.Insert(ExecOf("c"));
    ASSERT_TRUE(token);
    EXPECT_GE(token->size(), 22u);  // 128 random bits
    EXPECT_EQ(token->find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_TRUE(seen.insert(*token).second);
  }
}

TEST(TokenCache, TokensExpire) {
  TokenCache cache(std::chrono::milliseconds(20));
  auto token = cache.Insert(ExecOf("c1"));
  ASSERT_TRUE(token);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_FALSE(cache.Consume(*token));
}

TEST(TokenCache, InFlightRequestsAreBounded) {
  TokenCache cache(std::chrono::minutes(1), 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache.Insert(ExecOf("c")));
  auto over = cache.Insert(ExecOf("c"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kResourceExhausted);
}

TEST(TokenCache, ExpiredTokensMakeRoom) {
  TokenCache cache(std::chrono::milliseconds(10), 2);
  ASSERT_TRUE(cache.Insert(ExecOf("a")));
  ASSERT_TRUE(cache.Insert(ExecOf("b")));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(cache.Insert(ExecOf("c")));
}

}  // namespace
}  // namespace capstan::cri::streaming

#include "common/log.h"

#include <gtest/gtest.h>

namespace capstan::log {
namespace {

TEST(LogTest, FormatsStructuredFields) {
  std::string line = FormatLine(Level::kInfo, "cri", "container started",
                                {{"id", "abc"}, {"pid", 42}, {"name", "a b"}});
  EXPECT_NE(line.find(" INFO cri \"container started\" id=abc pid=42 name=\"a b\"\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace capstan::log

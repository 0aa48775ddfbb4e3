#include "cri/monitor/log_writer.h"

#include <gtest/gtest.h>

namespace capstan::cri::monitor {
namespace {

WallTime T0() { return FromUnixNanos(1795965386000000001LL); }

TEST(CriLogFormatTest, FullAndPartialLines) {
  std::string pending, out;
  FormatCriLog(Stream::kStdout, "hello\nwor", false, T0(), pending, out);
  EXPECT_EQ(out, "2026-11-29T15:16:26.000000001Z stdout F hello\n");
  EXPECT_EQ(pending, "wor");
  out.clear();
  FormatCriLog(Stream::kStdout, "ld\n", false, T0(), pending, out);
  EXPECT_EQ(out, "2026-11-29T15:16:26.000000001Z stdout F world\n");
  out.clear();
  FormatCriLog(Stream::kStderr, "tail", true, T0(), pending, out);
  EXPECT_EQ(out, "2026-11-29T15:16:26.000000001Z stderr F tail\n");
  EXPECT_TRUE(pending.empty());
}

TEST(CriLogFormatTest, LongLinesSplitIntoPartials) {
  std::string pending, out;
  std::string line(LogWriter::kMaxLine + 10, 'x');
  FormatCriLog(Stream::kStdout, line + "\n", false, T0(), pending, out);
  std::string ts = "2026-11-29T15:16:26.000000001Z";
  EXPECT_EQ(out, ts + " stdout P " + std::string(LogWriter::kMaxLine, 'x') + "\n" + ts +
                     " stdout F xxxxxxxxxx\n");
}

TEST(CriLogFormatTest, EmptyLinesAreKept) {
  std::string pending, out;
  FormatCriLog(Stream::kStdout, "\n\n", false, T0(), pending, out);
  EXPECT_EQ(out,
            "2026-11-29T15:16:26.000000001Z stdout F \n2026-11-29T15:16:26.000000001Z stdout F \n");
}

}  // namespace
}  // namespace capstan::cri::monitor

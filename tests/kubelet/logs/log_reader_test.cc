#include "kubelet/logs/log_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "api/k8s/meta.h"
#include "common/file.h"

namespace capstan::kubelet::logs {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "capstan-logs-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A CRI log line written at second `sec` of 2026-01-01T00:00.
std::string Line(int sec, char tag, const std::string& text, const char* stream = "stdout") {
  return fmt::format("2026-01-01T00:00:{:02}.500000000Z {} {} {}\n", sec, stream, tag, text);
}

WallTime At(int sec) { return *api::k8s::ParseTime(fmt::format("2026-01-01T00:00:{:02}Z", sec)); }

void Append(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::app) << data;
}

std::string ReadAll(const std::string& path, LogOptions o = {}) {
  auto r = ReadLog(path, o);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : "";
}

TEST(CriLogLineTest, Parses) {
  auto l = ParseCriLogLine("2026-01-01T00:00:01.123456789Z stderr P hello world");
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->stream, "stderr");
  EXPECT_TRUE(l->partial);
  EXPECT_EQ(l->text, "hello world");
  EXPECT_EQ(UnixNanos(l->timestamp) % 1000000000, 123456789);
  auto f = ParseCriLogLine("2026-01-01T00:00:01+02:00 stdout F:x ");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->partial);
  EXPECT_EQ(f->text, "");
  for (const char* bad : {"", "nonsense", "2026-01-01T00:00:01Z stdout", "2026-01-01T00:00:01Z",
                          "2026-01-01T00:00:01Z stdin F x", "yesterday stdout F x"}) {
    EXPECT_FALSE(ParseCriLogLine(bad)) << bad;
  }
}

TEST(CriLogLineTest, TimestampsAsGoFormatsThem) {
  EXPECT_EQ(FormatLogTimestamp(At(5)), "2026-01-01T00:00:05Z");
  EXPECT_EQ(FormatLogTimestamp(At(5) + std::chrono::milliseconds(500)), "2026-01-01T00:00:05.5Z");
  EXPECT_EQ(FormatLogTimestamp(At(5) + std::chrono::nanoseconds(1)),
            "2026-01-01T00:00:05.000000001Z");
}

TEST(LogReaderTest, JoinsPartialLinesAndSkipsMalformedOnes) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'P', "hel") + Line(1, 'P', "lo ") + Line(2, 'F', "world") +
                  "garbage without a format\n" + Line(3, 'F', "err", "stderr") +
                  "2026-01-01T00:00:04Z stdout F unterminated");
  // The unterminated last line is shown as if complete, as upstream does.
  EXPECT_EQ(ReadAll(log), "hello world\nerr\nunterminated\n");
}

TEST(LogReaderTest, TimestampsPrefixEachFullLine) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'P', "a") + Line(2, 'F', "b") + Line(3, 'F', "c"));
  LogOptions o;
  o.timestamps = true;
  EXPECT_EQ(ReadAll(log, o), "2026-01-01T00:00:01.5Z ab\n2026-01-01T00:00:03.5Z c\n");
}

TEST(LogReaderTest, SinceDropsOlderLines) {
  TempDir dir;
  std::string log = dir / "0.log";
  for (int i = 0; i < 10; ++i) {
    Append(log, Line(i, 'F', std::to_string(i)));
  }
  LogOptions o;
  o.since = At(7);
  EXPECT_EQ(ReadAll(log, o), "7\n8\n9\n");
}

TEST(LogReaderTest, LimitBytesCutsTheOutput) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "0123456789") + Line(2, 'F', "abcdef"));
  LogOptions o;
  o.limit_bytes = 13;
  EXPECT_EQ(ReadAll(log, o), "0123456789\nab");
  o.limit_bytes = 11;
  EXPECT_EQ(ReadAll(log, o), "0123456789\n");
  o.limit_bytes = 1000;
  EXPECT_EQ(ReadAll(log, o), "0123456789\nabcdef\n");
}

TEST(LogReaderTest, TailCountsFullLines) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "one") + Line(2, 'P', "tw") + Line(2, 'F', "o") + Line(3, 'F', "three") +
                  Line(4, 'P', "fo") + Line(4, 'P', "u") + Line(4, 'F', "r"));
  LogOptions o;
  for (auto [n, want] :
       std::vector<std::pair<int, std::string>>{{0, ""},
                                                {1, "four\n"},
                                                {2, "three\nfour\n"},
                                                {3, "two\nthree\nfour\n"},
                                                {4, "one\ntwo\nthree\nfour\n"},
                                                {100, "one\ntwo\nthree\nfour\n"}}) {
    o.tail_lines = n;
    EXPECT_EQ(ReadAll(log, o), want) << "tail " << n;
  }
  o.tail_lines = 2;
  o.since = At(4);
  EXPECT_EQ(ReadAll(log, o), "four\n");  // both apply
}

TEST(LogReaderTest, TailOfALargeFileReadsBackwardsAcrossBlocks) {
  TempDir dir;
  std::string log = dir / "0.log";
  std::string data;
  // ~12 MiB: lines of varied lengths so that lines straddle the 64 KiB blocks.
  int lines = 0;
  while (data.size() < 12 * 1024 * 1024) {
    data += Line(lines % 60, lines % 3 == 1 ? 'P' : 'F',
                 std::to_string(lines) + std::string(lines % 700, 'x'));
    ++lines;
  }
  data += Line(1, 'F', "last");
  Append(log, data);
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto start = FindTailStart(fd, static_cast<int64_t>(data.size()), 3);
  ::close(fd);
  ASSERT_TRUE(start) << start.error().message();
  // The last three full lines, the P piece before an F belonging to it.
  std::string tail = data.substr(*start);
  int full = 0;
  for (size_t pos = 0; pos < tail.size(); pos = tail.find('\n', pos) + 1) {
    full += !ParseCriLogLine(tail.substr(pos, tail.find('\n', pos) - pos))->partial;
  }
  EXPECT_EQ(full, 3);
  ASSERT_GT(*start, 0);
  EXPECT_EQ(data[*start - 1], '\n');
  EXPECT_FALSE(ParseCriLogLine(data.substr(0, *start - 1).substr(data.rfind('\n', *start - 2) + 1))
                   ->partial);
  LogOptions o;
  o.tail_lines = 1;
  EXPECT_EQ(ReadAll(log, o), "last\n");
}

TEST(LogReaderTest, MissingFileIsNotFound) {
  TempDir dir;
  auto r = LogReader::Open(dir / "nope.log", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
}

// Calls Next until it waits or ends, collecting the output.
std::string Drain(LogReader& r, LogReader::State* state) {
  std::string out;
  while (true) {
    auto c = r.Next(16);
    EXPECT_TRUE(c) << c.error().message();
    if (!c) {
      return out;
    }
    out += c->data;
    if (c->state != LogReader::State::kData) {
      *state = c->state;
      return out;
    }
  }
}

TEST(LogReaderTest, FollowReadsEveryFileWhenTwoRotationsPassedWhileItWasBehind) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "one"));
  LogOptions o;
  o.follow = true;
  FollowOptions f;
  f.container_running = [] { return true; };
  f.running_check_period = std::chrono::milliseconds(0);
  auto r = LogReader::Open(log, o, f);
  ASSERT_TRUE(r);
  LogReader::State state;
  EXPECT_EQ(Drain(**r, &state), "one\n");
  // Two rotations before the reader looks again (a fast logger, a slow client).
  Append(log, Line(2, 'F', "two"));
  std::filesystem::rename(log, log + ".20260101-000001.000");
  Append(log, Line(3, 'F', "three"));
  std::filesystem::rename(log, log + ".20260101-000001.100");
  Append(log, Line(4, 'F', "four"));
  EXPECT_EQ(Drain(**r, &state), "two\nthree\nfour\n");
  EXPECT_EQ(state, LogReader::State::kWaiting);
}

TEST(LogReaderTest, FollowsAcrossRotationUntilTheContainerExits) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "first"));
  std::atomic<bool> running{true};
  LogOptions o;
  o.follow = true;
  FollowOptions f;
  f.container_running = [&] { return running.load(); };
  f.running_check_period = std::chrono::milliseconds(0);
  auto r = LogReader::Open(log, o, f);
  ASSERT_TRUE(r);
  LogReader::State state;
  EXPECT_EQ(Drain(**r, &state), "first\n");
  EXPECT_EQ(state, LogReader::State::kWaiting);

  // A line completed over two writes.
  Append(log, Line(2, 'P', "sec"));
  Append(log, std::string(Line(2, 'F', "ond")).substr(0, 10));
  EXPECT_EQ(Drain(**r, &state), "sec");
  Append(log, Line(2, 'F', "ond").substr(10));
  EXPECT_EQ(Drain(**r, &state), "ond\n");
  EXPECT_EQ(state, LogReader::State::kWaiting);

  // Rotation: the file is renamed; the writer still writes to it until reopened, then
  // writes to a new file at the same path.
  std::string rotated = log + ".20260101-000003";
  std::filesystem::rename(log, rotated);
  EXPECT_EQ(Drain(**r, &state), "");
  EXPECT_EQ(state, LogReader::State::kWaiting);
  Append(rotated, Line(3, 'F', "before reopen"));
  Append(log, Line(4, 'F', "after reopen"));
  EXPECT_EQ(Drain(**r, &state), "before reopen\nafter reopen\n");
  EXPECT_EQ(state, LogReader::State::kWaiting);

  // Truncated in place: read from the start again.
  std::filesystem::resize_file(log, 0);
  Append(log, Line(5, 'F', "again"));
  EXPECT_EQ(Drain(**r, &state), "again\n");

  // The container exits after a last line: it is read, then the stream ends.
  Append(log, Line(6, 'F', "bye"));
  running = false;
  EXPECT_EQ(Drain(**r, &state), "bye\n");
  EXPECT_EQ(state, LogReader::State::kEnd);
  auto after = (*r)->Next();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, LogReader::State::kEnd);
}

TEST(LogReaderTest, FollowAsksWhetherTheContainerRunsAtMostOncePerPeriod) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "x"));
  int asked = 0;
  LogOptions o;
  o.follow = true;
  o.tail_lines = 0;
  FollowOptions f;
  f.container_running = [&] {
    ++asked;
    return true;
  };
  f.running_check_period = std::chrono::hours(1);
  auto r = LogReader::Open(log, o, f);
  ASSERT_TRUE(r);
  LogReader::State state;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Drain(**r, &state), "");  // tail 0: only what comes next
    EXPECT_EQ(state, LogReader::State::kWaiting);
  }
  EXPECT_EQ(asked, 1);
  Append(log, Line(2, 'F', "y"));
  EXPECT_EQ(Drain(**r, &state), "y\n");
}

TEST(LogReaderTest, FollowEndsAtLimitBytes) {
  TempDir dir;
  std::string log = dir / "0.log";
  Append(log, Line(1, 'F', "abc"));
  LogOptions o;
  o.follow = true;
  o.limit_bytes = 6;
  auto r = LogReader::Open(log, o, {});
  ASSERT_TRUE(r);
  LogReader::State state;
  EXPECT_EQ(Drain(**r, &state), "abc\n");
  EXPECT_EQ(state, LogReader::State::kWaiting);
  Append(log, Line(2, 'F', "defg"));
  EXPECT_EQ(Drain(**r, &state), "de");
  EXPECT_EQ(state, LogReader::State::kEnd);
}

}  // namespace
}  // namespace capstan::kubelet::logs

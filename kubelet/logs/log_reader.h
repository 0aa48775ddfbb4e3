#pragma once
// Reading a container's CRI log file for `kubectl logs` (kuberuntime/logs upstream).
//
// The CRI log format is one line per write: "<RFC3339Nano time> <stdout|stderr> <P|F> <text>";
// P marks a partial line that the following lines continue up to the next F. A LogReader
// turns the file into what the client sees (the texts, optionally prefixed with their
// timestamps), applying sinceTime, tailLines and limitBytes, and in follow mode keeps reading
// as the file grows, across rotation (the file renamed and a new one opened at the same path),
// until the container has exited.
//
// LogReader is pull-based and never blocks waiting for data: Next() returns what is there and
// says whether to come back later, so an asynchronous server can interleave many streams on
// one thread. Not thread-safe; one reader per request.

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/time.h"
#include "common/unique_fd.h"

namespace capstan::kubelet::logs {

struct CriLogLine {
  WallTime timestamp;
  std::string_view stream;  // "stdout" or "stderr"
  bool partial = false;     // P: continued by the next line
  std::string_view text;
};

// Parses one line of a CRI log file, without its trailing newline.
Result<CriLogLine> ParseCriLogLine(std::string_view line);

// Go's time.RFC3339Nano in UTC, as upstream prefixes lines with: the fraction's trailing zeros
// are dropped ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05Z").
std::string FormatLogTimestamp(WallTime t);

struct LogOptions {
  std::optional<WallTime> since;       // drop lines written before this
  std::optional<int64_t> tail_lines;   // only the last N full lines (nullopt: all)
  std::optional<int64_t> limit_bytes;  // stop after this many bytes of output
  bool timestamps = false;             // prefix each line with its timestamp
  bool follow = false;                 // keep reading until the container exits
};

// The offset of the first line of the file's last `n` full lines: a full line is its P pieces
// plus the F line ending it. Reads the file backwards in blocks, so the cost follows `n`, not
// the file's size. `size` is the length to consider (lines past it are ignored).
Result<int64_t> FindTailStart(int fd, int64_t size, int64_t n);

struct FollowOptions {
  // Whether the container still runs; once it does not, the reader drains the file and ends.
  // Unset: the reader follows until the client goes away.
  std::function<bool()> container_running;
  const Clock* clock = nullptr;  // null: the real clock
  // How often, at most, container_running is asked while the file is idle.
  std::chrono::milliseconds running_check_period{1000};
};

class LogReader {
 public:
  enum class State {
    kData,     // `data` holds output; call again
    kWaiting,  // nothing new yet (follow): call again later
    kEnd,      // finished; `data` may hold the last output
  };
  struct Chunk {
    std::string data;
    State state = State::kData;
  };

  // Opens the log at `path`: NotFound if it does not exist.
  static Result<std::unique_ptr<LogReader>> Open(const std::filesystem::path& path,
                                                 LogOptions options, FollowOptions follow = {});

  // Returns output, about `max_bytes` at most (a line's text may carry it a little further).
  Result<Chunk> Next(size_t max_bytes = 64 * 1024);

 private:
  LogReader(std::filesystem::path path, UniqueFd fd, LogOptions options, FollowOptions follow);
  // Formats one raw line into `out`; false once limitBytes is reached.
  bool Emit(std::string_view raw, std::string& out);
  // Follow mode at the end of the file: switches to a rotated-in file or rewinds a truncated
  // one. True if there may be more to read now.
  Result<bool> CheckRotation();
  std::filesystem::path NextFileAfter(const struct stat& open_st) const;
  bool ContainerRunning();

  std::filesystem::path path_;
  UniqueFd fd_;
  UniqueFd next_fd_;  // the file rotated in, read once fd_ is drained
  LogOptions options_;
  FollowOptions follow_;
  RealClock real_clock_;
  std::string buf_;       // bytes read but not yet emitted
  size_t buf_start_ = 0;  // first unconsumed byte of buf_
  int64_t offset_ = 0;    // file offset of the end of buf_
  int64_t written_ = 0;   // bytes of output so far (for limitBytes)
  bool at_line_start_ = true;
  bool exited_ = false;  // the container was seen stopped: drain and end
  bool done_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_running_check_;
};

// Reads a whole log (follow ignored) into one string: for tests and small callers.
Result<std::string> ReadLog(const std::filesystem::path& path, LogOptions options);

}  // namespace capstan::kubelet::logs

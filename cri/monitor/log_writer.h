#pragma once
// Writes a container's output in the CRI log format the kubelet and `kubectl logs` read:
//   2026-11-29T15:00:00.123456789Z stdout F a full line
//   2026-11-29T15:00:00.123456789Z stderr P the first 16 KiB of a longer line
// Lines are split at '\n'; a line longer than kMaxLine is written in P(artial) pieces.

#include <string>
#include <string_view>

#include "common/time.h"
#include "common/unique_fd.h"

namespace capstan::cri::monitor {

enum class Stream { kStdout, kStderr };

// Appends the CRI-format records for `data` to `out`. `pending` holds an unterminated tail
// between calls; `eof` flushes it as a full line.
void FormatCriLog(Stream stream, std::string_view data, bool eof, WallTime now,
                  std::string& pending, std::string& out);

class LogWriter {
 public:
  static constexpr size_t kMaxLine = 16 * 1024;

  explicit LogWriter(std::string path) : path_(std::move(path)) {}
  // Opens (or reopens, after the kubelet rotated the file) the log path for append.
  bool Open();
  void Write(Stream stream, std::string_view data);
  void Flush();  // writes out unterminated tails as full lines (at EOF)

 private:
  std::string path_;
  UniqueFd fd_;
  std::string pending_[2];
};

}  // namespace capstan::cri::monitor

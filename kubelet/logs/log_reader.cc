#include "kubelet/logs/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "api/k8s/meta.h"
#include "common/log.h"
#include "kubelet/logs/log_files.h"

namespace capstan::kubelet::logs {

namespace {

const log::Logger kLog("logs");

constexpr size_t kReadSize = 64 * 1024;
// A line longer than this without a newline is cut (the runtime splits lines at 16 KiB, so
// only a damaged or hostile file gets here); it keeps one request's memory bounded.
constexpr size_t kMaxLine = 1024 * 1024;
// Enough for "<timestamp> <stream> <tag> ".
constexpr size_t kHeaderPeek = 128;

Result<UniqueFd> OpenLog(const std::filesystem::path& path) {
  // O_NOFOLLOW: a pod that can write into its log directory (a hostPath onto /var/log/pods)
  // must not turn its log into a link to any host file for `kubectl logs` to read.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
  if (!fd) {
    return FailErrno("opening log {}", path.string());
  }
  return fd;
}

// Whether a line is a P piece of a longer line (unparseable lines count as full lines).
bool IsPartial(std::string_view line) {
  auto parsed = ParseCriLogLine(line);
  return parsed && parsed->partial;
}

}  // namespace

Result<CriLogLine> ParseCriLogLine(std::string_view line) {
  CriLogLine out;
  size_t ts_end = line.find(' ');
  if (ts_end == std::string_view::npos) {
    return Fail(Code::kInvalidArgument, "log line: no timestamp");
  }
  CAPSTAN_ASSIGN_OR_RETURN(out.timestamp, api::k8s::ParseTime(line.substr(0, ts_end)));
  std::string_view rest = line.substr(ts_end + 1);
  size_t stream_end = rest.find(' ');
  if (stream_end == std::string_view::npos) {
    return Fail(Code::kInvalidArgument, "log line: no stream");
  }
  out.stream = rest.substr(0, stream_end);
  if (out.stream != "stdout" && out.stream != "stderr") {
    return Fail(Code::kInvalidArgument, "log line: unexpected stream {:?}", out.stream);
  }
  rest = rest.substr(stream_end + 1);
  size_t tag_end = rest.find(' ');
  if (tag_end == std::string_view::npos) {
    return Fail(Code::kInvalidArgument, "log line: no tag");
  }
  // Tags are ':'-separated; the first says partial or full.
  std::string_view tag = rest.substr(0, std::min(tag_end, rest.find(':')));
  out.partial = tag == "P";
  out.text = rest.substr(tag_end + 1);
  return out;
}

std::string FormatLogTimestamp(WallTime t) {
  std::string s = FormatRfc3339Nano(t);  // "....:05.123456789Z"
  size_t dot = s.rfind('.');
  size_t end = s.size() - 1;  // the Z
  size_t last = end;
  while (last > dot + 1 && s[last - 1] == '0') {
    --last;
  }
  if (last == dot + 1) {
    last = dot;  // no fraction at all
  }
  s.erase(last, end - last);
  return s;
}

Result<int64_t> FindTailStart(int fd, int64_t size, int64_t n) {
  if (n <= 0) {
    return size;
  }
  // A cached block [block_start, block_start + block.size()) of the file, moving backwards.
  std::string block;
  int64_t block_start = size;
  // The position of the last '\n' before `limit`, or -1.
  auto last_newline_before = [&](int64_t limit) -> Result<int64_t> {
    while (true) {
      if (limit > block_start) {
        int64_t from = std::min<int64_t>(limit, block_start + block.size()) - block_start;
        size_t at = std::string_view(block).substr(0, from).rfind('\n');
        if (at != std::string_view::npos) {
          return block_start + static_cast<int64_t>(at);
        }
      }
      if (block_start == 0) {
        return -1;
      }
      int64_t start = std::max<int64_t>(0, block_start - static_cast<int64_t>(kReadSize));
      block.resize(block_start - start);
      ssize_t got = ::pread(fd, block.data(), block.size(), start);
      if (got < 0) {
        return FailErrno("reading log");
      }
      block.resize(got);
      block_start = start;
      limit = std::min(limit, block_start + static_cast<int64_t>(block.size()));
    }
  };
  int64_t line_end = size;  // exclusive, including the line's own '\n'
  int64_t full = 0;
  std::string header(kHeaderPeek, '\0');
  while (line_end > 0) {
    CAPSTAN_ASSIGN_OR_RETURN(int64_t nl, last_newline_before(line_end - 1));
    int64_t line_start = nl + 1;
    header.resize(kHeaderPeek);
    ssize_t got = ::pread(fd, header.data(), std::min<int64_t>(kHeaderPeek, line_end - line_start),
                          line_start);
    if (got < 0) {
      return FailErrno("reading log");
    }
    header.resize(got);
    if (!IsPartial(header)) {
      if (++full > n) {
        return line_end;  // the line before the n full lines we keep
      }
    }
    line_end = line_start;
  }
  return 0;
}

LogReader::LogReader(std::filesystem::path path, UniqueFd fd, LogOptions options,
                     FollowOptions follow)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      options_(std::move(options)),
      follow_(std::move(follow)) {}

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::filesystem::path& path,
                                                   LogOptions options, FollowOptions follow) {
  CAPSTAN_ASSIGN_OR_RETURN(UniqueFd fd, OpenLog(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return FailErrno("stat {}", path.string());
  }
  if (!S_ISREG(st.st_mode)) {
    return Fail(Code::kFailedPrecondition, "log {} is not a regular file", path.string());
  }
  int64_t start = 0;
  if (options.tail_lines) {
    CAPSTAN_ASSIGN_OR_RETURN(start, FindTailStart(fd.get(), st.st_size, *options.tail_lines));
  }
  if (::lseek(fd.get(), start, SEEK_SET) < 0) {
    return FailErrno("seeking in {}", path.string());
  }
  std::unique_ptr<LogReader> r(
      new LogReader(path, std::move(fd), std::move(options), std::move(follow)));
  r->offset_ = start;
  if (r->options_.limit_bytes && *r->options_.limit_bytes <= 0) {
    r->done_ = true;
  }
  return r;
}

bool LogReader::Emit(std::string_view raw, std::string& out) {
  auto line = ParseCriLogLine(raw);
  if (!line) {
    kLog.Debug("skipping a malformed log line",
               {{"path", path_.string()}, {"error", line.error().message()}});
    return true;
  }
  if (options_.since && line->timestamp < *options_.since) {
    return true;
  }
  size_t before = out.size();
  if (options_.timestamps && at_line_start_) {
    out += FormatLogTimestamp(line->timestamp);
    out += ' ';
  }
  out += line->text;
  if (!line->partial) {
    out += '\n';
  }
  at_line_start_ = !line->partial;
  int64_t added = static_cast<int64_t>(out.size() - before);
  if (options_.limit_bytes && written_ + added >= *options_.limit_bytes) {
    out.resize(before + (*options_.limit_bytes - written_));
    written_ = *options_.limit_bytes;
    return false;
  }
  written_ += added;
  return true;
}

bool LogReader::ContainerRunning() {
  if (!follow_.container_running) {
    return true;
  }
  const Clock& clock = follow_.clock ? *follow_.clock : real_clock_;
  auto now = clock.Monotonic();
  if (last_running_check_ && now - *last_running_check_ < follow_.running_check_period) {
    return true;
  }
  last_running_check_ = now;
  return follow_.container_running();
}

std::filesystem::path LogReader::NextFileAfter(const struct stat& open_st) const {
  bool passed_ours = false;
  for (const auto& rotated : RotatedLogs(path_)) {
    std::string name = rotated.string();
    struct stat st;
    if (name.ends_with(".gz") || name.ends_with(".tmp") || ::stat(rotated.c_str(), &st) != 0) {
      continue;
    }
    if (passed_ours) {
      return rotated;
    }
    passed_ours = st.st_ino == open_st.st_ino && st.st_dev == open_st.st_dev;
  }
  return path_;
}

Result<bool> LogReader::CheckRotation() {
  struct stat open_st {
  }, path_st{};
  if (::fstat(fd_.get(), &open_st) != 0) {
    return FailErrno("stat {}", path_.string());
  }
  if (::stat(path_.c_str(), &path_st) != 0) {
    if (errno == ENOENT) {
      return false;  // renamed away; the new file is not there yet
    }
    return FailErrno("stat {}", path_.string());
  }
  if (path_st.st_ino != open_st.st_ino || path_st.st_dev != open_st.st_dev) {
    // Rotated. The writer may have written to the old file between our last read and its
    // reopen, so the old file is drained once more before switching (see Next). A slow
    // reader may have missed more than one rotation: the next file is then the rotated one
    // after ours, while it is still plain (older ones get compressed), else the live one.
    auto next = OpenLog(NextFileAfter(open_st));
    if (!next) {
      return next.error().code() == Code::kNotFound ? Result<bool>(false) : Fail(next.error());
    }
    next_fd_ = std::move(*next);
    return true;
  }
  if (path_st.st_size < offset_) {
    // Truncated in place (copytruncate rotation): start over.
    if (::lseek(fd_.get(), 0, SEEK_SET) < 0) {
      return FailErrno("seeking in {}", path_.string());
    }
    offset_ = 0;
    buf_.clear();
    buf_start_ = 0;
    return true;
  }
  return false;
}

Result<LogReader::Chunk> LogReader::Next(size_t max_bytes) {
  Chunk out;
  if (done_) {
    out.state = State::kEnd;
    return out;
  }
  auto finish = [&]() {
    done_ = true;
    out.state = State::kEnd;
    return out;
  };
  while (out.data.size() < max_bytes) {
    size_t nl = buf_.find('\n', buf_start_);
    if (nl != std::string::npos) {
      std::string_view raw(buf_.data() + buf_start_, nl - buf_start_);
      buf_start_ = nl + 1;
      if (!Emit(raw, out.data)) {
        return finish();
      }
      continue;
    }
    buf_.erase(0, buf_start_);
    buf_start_ = 0;
    if (buf_.size() >= kMaxLine) {
      bool more = Emit(buf_, out.data);
      buf_.clear();
      if (!more) {
        return finish();
      }
      continue;
    }
    size_t have = buf_.size();
    buf_.resize(have + kReadSize);
    ssize_t n = ::read(fd_.get(), buf_.data() + have, kReadSize);
    buf_.resize(have + std::max<ssize_t>(n, 0));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return FailErrno("reading log {}", path_.string());
    }
    if (n > 0) {
      offset_ += n;
      continue;
    }
    // End of the file.
    if (!options_.follow || exited_) {
      if (!buf_.empty()) {
        // An unterminated last line: output it as upstream does.
        Emit(buf_, out.data);
        buf_.clear();
      }
      return finish();
    }
    if (!out.data.empty()) {
      break;  // hand over what there is before waiting
    }
    if (next_fd_) {
      // The old file is drained: continue in the new one. An unterminated piece left in the
      // old file cannot be joined with the new file's lines; it is dropped, as upstream.
      fd_ = std::move(next_fd_);
      buf_.clear();
      offset_ = 0;
      continue;
    }
    CAPSTAN_ASSIGN_OR_RETURN(bool more, CheckRotation());
    if (more) {
      continue;
    }
    if (!ContainerRunning()) {
      exited_ = true;  // read what the container wrote last, then end
      continue;
    }
    out.state = State::kWaiting;
    return out;
  }
  out.state = State::kData;
  return out;
}

Result<std::string> ReadLog(const std::filesystem::path& path, LogOptions options) {
  options.follow = false;
  CAPSTAN_ASSIGN_OR_RETURN(auto reader, LogReader::Open(path, std::move(options)));
  std::string all;
  while (true) {
    CAPSTAN_ASSIGN_OR_RETURN(auto chunk, reader->Next());
    all += chunk.data;
    if (chunk.state == LogReader::State::kEnd) {
      return all;
    }
  }
}

}  // namespace capstan::kubelet::logs

#include "cri/monitor/log_writer.h"

#include <fcntl.h>
#include <unistd.h>

namespace capstan::cri::monitor {

namespace {

void AppendRecord(Stream stream, char tag, std::string_view line, const std::string& ts,
                  std::string& out) {
  out += ts;
  out += stream == Stream::kStdout ? " stdout " : " stderr ";
  out += tag;
  out += ' ';
  out += line;
  out += '\n';
}

}  // namespace

void FormatCriLog(Stream stream, std::string_view data, bool eof, WallTime now,
                  std::string& pending, std::string& out) {
  std::string ts = FormatRfc3339Nano(now);
  pending.append(data);
  size_t start = 0;
  for (;;) {
    size_t nl = pending.find('\n', start);
    size_t len = (nl == std::string::npos ? pending.size() : nl) - start;
    if (nl != std::string::npos && len <= LogWriter::kMaxLine) {
      AppendRecord(stream, 'F', std::string_view(pending).substr(start, len), ts, out);
      start = nl + 1;
      continue;
    }
    if (len >= LogWriter::kMaxLine) {
      AppendRecord(stream, 'P', std::string_view(pending).substr(start, LogWriter::kMaxLine), ts,
                   out);
      start += LogWriter::kMaxLine;
      continue;
    }
    break;
  }
  pending.erase(0, start);
  if (eof && !pending.empty()) {
    AppendRecord(stream, 'F', pending, ts, out);
    pending.clear();
  }
}

bool LogWriter::Open() {
  fd_.Reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  return fd_.valid();
}

void LogWriter::Write(Stream stream, std::string_view data) {
  std::string out;
  FormatCriLog(stream, data, false, WallNow(), pending_[static_cast<int>(stream)], out);
  if (fd_ && !out.empty()) {
    (void)!::write(fd_.get(), out.data(), out.size());
  }
}

void LogWriter::Flush() {
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    std::string out;
    FormatCriLog(s, "", true, WallNow(), pending_[static_cast<int>(s)], out);
    if (fd_ && !out.empty()) {
      (void)!::write(fd_.get(), out.data(), out.size());
    }
  }
}

}  // namespace capstan::cri::monitor

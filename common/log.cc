#include "common/log.h"

#include <unistd.h>

#include <atomic>

#include "common/time.h"

namespace capstan::log {
namespace {

std::atomic<int>& Threshold() {
  static std::atomic<int> level{static_cast<int>(Level::kInfo)};
  return level;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

// Quotes a value when it holds spaces, quotes or '=' so a line stays machine-parseable.
void AppendValue(std::string& out, std::string_view v) {
  bool plain = !v.empty() && v.find_first_of(" \"=\n\t") == std::string_view::npos;
  if (plain) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void SetLevel(Level level) { Threshold().store(static_cast<int>(level)); }
Level ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}
Level GetLevel() { return static_cast<Level>(Threshold().load()); }

std::string FormatLine(Level level, std::string_view component, std::string_view msg,
                       Fields fields) {
  std::string line = FormatRfc3339Nano(WallNow());
  line += ' ';
  line += LevelName(level);
  line += ' ';
  line += component;
  line += ' ';
  AppendValue(line, msg);
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  line += '\n';
  return line;
}

void Logger::Log(Level level, std::string_view msg, Fields fields) const {
  if (static_cast<int>(level) < Threshold().load(std::memory_order_relaxed)) {
    return;
  }
  std::string line = FormatLine(level, component_, msg, fields);
  // One write per line so lines from threads never interleave.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace capstan::log

#pragma once
// One logging facade: a Logger per component, one line per event on stderr with structured
// fields (journald picks stderr up under systemd):
//   2026-11-29T15:00:00.123Z INFO cri "container started" id=abc pid=123

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace capstan::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct Field {
  template <typename T>
  Field(std::string_view k, const T& v) : key(k), value(fmt::format("{}", v)) {}
  std::string_view key;
  std::string value;
};
using Fields = std::initializer_list<Field>;

// Process-wide threshold (set once by main from --v / --log-level).
void SetLevel(Level level);
// "debug", "info", "warn", "error"; anything else is info.
Level ParseLevel(std::string_view name);
Level GetLevel();

class Logger {
 public:
  explicit Logger(std::string_view component) : component_(component) {}

  void Debug(std::string_view msg, Fields fields = {}) const { Log(Level::kDebug, msg, fields); }
  void Info(std::string_view msg, Fields fields = {}) const { Log(Level::kInfo, msg, fields); }
  void Warn(std::string_view msg, Fields fields = {}) const { Log(Level::kWarn, msg, fields); }
  void Error(std::string_view msg, Fields fields = {}) const { Log(Level::kError, msg, fields); }
  void Log(Level level, std::string_view msg, Fields fields) const;

 private:
  std::string_view component_;
};

// Formats one event line (exposed for tests).
std::string FormatLine(Level level, std::string_view component, std::string_view msg,
                       Fields fields);

}  // namespace capstan::log

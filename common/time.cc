#include "common/time.h"

#include <ctime>

#include <fmt/format.h>

namespace capstan {

std::string FormatRfc3339(WallTime t) {
  time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string FormatRfc3339Nano(WallTime t) {
  int64_t ns = UnixNanos(t);
  time_t secs = static_cast<time_t>(ns / 1000000000);
  int64_t frac = ns % 1000000000;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string FormatMicroTime(WallTime t) {
  std::string nanos = FormatRfc3339Nano(t);
  return nanos.substr(0, nanos.size() - 4) + "Z";  // drop three digits of nine
}

}  // namespace capstan

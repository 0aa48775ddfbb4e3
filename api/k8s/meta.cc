#include "api/k8s/meta.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <ctime>

namespace capstan::api::k8s {

std::string FormatTime(WallTime t) { return FormatRfc3339(t); }

WallTime TruncateToSeconds(WallTime t) { return std::chrono::floor<std::chrono::seconds>(t); }

Result<WallTime> ParseTime(std::string_view text) {
  auto bad = [&] {
    return Fail(Code::kInvalidArgument, "time {:?}: want RFC 3339 (2006-01-02T15:04:05Z)", text);
  };
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) {
        return -1;
      }
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return bad();
  }
  int year = num(0, 4), mon = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), min = num(14, 2), sec = num(17, 2);
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 60) {
    return bad();
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 9) {
        nanos = nanos * 10 + (text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return bad();
    }
    for (int d = digits; d < 9; ++d) {
      nanos *= 10;
    }
  }
  int offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    // UTC.
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (oh < 0 || om < 0) {
      return bad();
    }
    offset_s = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
  } else {
    return bad();
  }
  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(mon)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) {
    return bad();
  }
  auto t = std::chrono::sys_days{ymd} + std::chrono::hours(hour) + std::chrono::minutes(min) +
           std::chrono::seconds(sec) - std::chrono::seconds(offset_s);
  return WallTime(std::chrono::duration_cast<WallTime::duration>(t.time_since_epoch() +
                                                                 std::chrono::nanoseconds(nanos)));
}

}  // namespace capstan::api::k8s

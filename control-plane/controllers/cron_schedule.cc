#include "control-plane/controllers/cron_schedule.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <vector>

namespace capstan::control_plane::controllers {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

constexpr std::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct Bounds {
  const char* name;
  int min;
  int max;
  const std::string_view* names = nullptr;  // names[i] stands for min + i
  int name_count = 0;
};

Result<int> Number(std::string_view text, const Bounds& b) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (int i = 0; i < b.name_count; ++i) {
    if (lower == b.names[i]) return b.min + i;
  }
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return Fail(Code::kInvalidArgument, "failed to parse int from {}", text);
  }
  return n;
}

// One field into a bit set over [0, max]; `star` tells whether it was "*" or "?".
Status ParseField(std::string_view field, const Bounds& b, std::vector<bool>& bits, bool& star) {
  bits.assign(static_cast<size_t>(b.max) + 1, false);
  star = false;  // set below when a part spans the whole range from "*" ("*/2" too, as robfig)
  for (auto part : Split(field, ',')) {
    auto slash = Split(part, '/');
    if (slash.size() > 2) return Fail(Code::kInvalidArgument, "too many slashes: {}", part);
    int step = 1;
    if (slash.size() == 2) {
      CAPSTAN_ASSIGN_OR_RETURN(step, Number(slash[1], Bounds{b.name, 1, 1 << 20}));
      if (step <= 0) return Fail(Code::kInvalidArgument, "step must be positive: {}", part);
    }
    int low = 0, high = 0;
    std::string_view range = slash[0];
    if (range == "*" || range == "?") {
      low = b.min;
      high = b.max;
      star = true;
    } else {
      auto dash = Split(range, '-');
      if (dash.size() > 2) return Fail(Code::kInvalidArgument, "too many hyphens: {}", range);
      CAPSTAN_ASSIGN_OR_RETURN(low, Number(dash[0], b));
      high = low;
      if (dash.size() == 2) {
        CAPSTAN_ASSIGN_OR_RETURN(high, Number(dash[1], b));
      } else if (slash.size() == 2) {
        high = b.max;  // "a/n": from a to the end
      }
    }
    if (low < b.min || high > b.max || low > high) {
      return Fail(Code::kInvalidArgument, "{} out of range ({}-{}): {}", b.name, b.min, b.max,
                  part);
    }
    for (int v = low; v <= high; v += step) bits[static_cast<size_t>(v)] = true;
  }
  return Ok();
}

template <size_t N>
std::bitset<N> ToBits(const std::vector<bool>& v) {
  std::bitset<N> out;
  for (size_t i = 0; i < N && i < v.size(); ++i) out[i] = v[i];
  return out;
}

std::string_view Shorthand(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  auto fields = Fields(Shorthand(text));
  if (fields.size() != 5) {
    return Fail(Code::kInvalidArgument, "expected exactly 5 fields, found {}: [{}]", fields.size(),
                std::string(text));
  }
  CronSchedule s;
  std::vector<bool> bits;
  bool star = false;
  CAPSTAN_TRY(ParseField(fields[0], {"minute", 0, 59}, bits, star));
  s.minutes_ = ToBits<60>(bits);
  CAPSTAN_TRY(ParseField(fields[1], {"hour", 0, 23}, bits, star));
  s.hours_ = ToBits<24>(bits);
  CAPSTAN_TRY(ParseField(fields[2], {"day of month", 1, 31}, bits, s.any_day_));
  s.days_ = ToBits<32>(bits);
  CAPSTAN_TRY(ParseField(fields[3], {"month", 1, 12, kMonthNames, 12}, bits, star));
  s.months_ = ToBits<13>(bits);
  CAPSTAN_TRY(ParseField(fields[4], {"day of week", 0, 7, kDayNames, 7}, bits, s.any_weekday_));
  if (bits[7]) bits[0] = true;  // 7 is Sunday too
  s.weekdays_ = ToBits<7>(bits);
  return s;
}

bool CronSchedule::DayMatches(int day_of_month, int month, int weekday) const {
  if (!months_[static_cast<size_t>(month)]) return false;
  bool dom = days_[static_cast<size_t>(day_of_month)];
  bool dow = weekdays_[static_cast<size_t>(weekday)];
  if (any_day_ || any_weekday_) return dom && dow;
  return dom || dow;
}

std::optional<WallTime> CronSchedule::Next(WallTime after) const {
  using namespace std::chrono;
  auto start = floor<minutes>(after) + minutes(1);
  auto day = floor<days>(start);
  for (int i = 0; i < 366 * 5; ++i, day += days(1)) {
    year_month_day ymd{day};
    int weekday = static_cast<int>(std::chrono::weekday{day}.c_encoding());
    if (!DayMatches(static_cast<int>(static_cast<unsigned>(ymd.day())),
                    static_cast<int>(static_cast<unsigned>(ymd.month())), weekday)) {
      continue;
    }
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<size_t>(m)]) continue;
        auto t = day + hours(h) + minutes(m);
        if (t >= start) return time_point_cast<WallTime::duration>(t);
      }
    }
  }
  return std::nullopt;
}

}  // namespace capstan::control_plane::controllers

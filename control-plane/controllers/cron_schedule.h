#pragma once
// A CronJob's spec.schedule, read as kube-controller-manager reads it (robfig/cron's
// standard parser): five fields, minute hour day-of-month month day-of-week, each "*", "?",
// a value, a range "a-b", a step "*/n" or "a-b/n", or a comma list of those; month and
// weekday names (jan, mon); 7 as Sunday; the @yearly, @annually, @monthly, @weekly,
// @daily, @midnight and @hourly shorthands. When both day fields are restricted a day
// matching either runs, as in cron. Times are UTC.

#include <bitset>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "common/time.h"

namespace capstan::control_plane::controllers {

class CronSchedule {
 public:
  static Result<CronSchedule> Parse(std::string_view text);
  // The first scheduled minute strictly after `after`; none within five years (a schedule
  // such as "0 0 30 2 *" never comes).
  std::optional<WallTime> Next(WallTime after) const;

 private:
  bool DayMatches(int day_of_month, int month, int weekday) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = false;     // day of month was "*" or "?"
  bool any_weekday_ = false;
};

}  // namespace capstan::control_plane::controllers

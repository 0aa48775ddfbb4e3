#include "api/k8s/labels.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <fmt/ranges.h>

#include "api/k8s/json_reader.h"

namespace capstan::api::k8s {
namespace {

std::string_view OperatorName(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn: return "in";
    case SelectorOperator::kNotIn: return "notin";
    case SelectorOperator::kEquals: return "=";
    case SelectorOperator::kDoubleEquals: return "==";
    case SelectorOperator::kNotEquals: return "!=";
    case SelectorOperator::kExists: return "exists";
    case SelectorOperator::kDoesNotExist: return "!";
    case SelectorOperator::kGreaterThan: return "gt";
    case SelectorOperator::kLessThan: return "lt";
  }
  return "";
}

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range.
std::optional<int64_t> ParseInt64(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') {
      return std::nullopt;
    }
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// Go's %#v of a []string, as field.Invalid prints the values.
std::string GoStringSlice(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i ? ", " : "") + GoQuote(values[i]);
  }
  return out + "}";
}

std::string FieldInvalid(std::string_view path, std::string_view quoted_value,
                         std::string_view detail) {
  std::string out = path.empty() ? "" : std::string(path) + ": ";
  return out + fmt::format("Invalid value: {}: {}", quoted_value, detail);
}

// utilerrors.NewAggregate(...).Error(): one message alone, several as "[a, b]", deduplicated.
std::string Aggregate(const std::vector<std::string>& errs) {
  std::vector<std::string> unique;
  for (const auto& e : errs) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) {
      unique.push_back(e);
    }
  }
  if (unique.size() == 1) {
    return unique[0];
  }
  return "[" + fmt::format("{}", fmt::join(unique, ", ")) + "]";
}

std::string JoinReasons(const std::vector<std::string>& reasons) {
  return fmt::format("{}", fmt::join(reasons, "; "));
}

}  // namespace

Result<LabelRequirement> MakeLabelRequirement(std::string key, SelectorOperator op,
                                              std::vector<std::string> values) {
  std::vector<std::string> errs;
  if (auto key_errs = LabelKeyErrors(key); !key_errs.empty()) {
    errs.push_back(FieldInvalid("key", GoQuote(key), JoinReasons(key_errs)));
  }
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        errs.push_back(FieldInvalid("values", GoStringSlice(values),
                                    "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(FieldInvalid("values", GoStringSlice(values),
                                    "exact-match compatibility requires one single value"));
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(FieldInvalid("values", GoStringSlice(values),
                                    "values set must be empty for exists and does not exist"));
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan:
      if (values.size() != 1) {
        errs.push_back(FieldInvalid("values", GoStringSlice(values),
                                    "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (!ParseInt64(values[i])) {
          errs.push_back(FieldInvalid(fmt::format("values[{}]", i), GoQuote(values[i]),
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto value_errs = LabelValueErrors(values[i]); !value_errs.empty()) {
      errs.push_back(FieldInvalid(fmt::format("values[{}][{}]", i, key), GoQuote(values[i]),
                                  JoinReasons(value_errs)));
    }
  }
  if (!errs.empty()) {
    return Fail(Code::kInvalidArgument, "{}", Aggregate(errs));
  }
  return LabelRequirement{std::move(key), op, std::move(values)};
}

bool LabelRequirement::Matches(const StringMap& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  auto has_value = [&] {
    return std::find(values.begin(), values.end(), it->second) != values.end();
  };
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals: return has && has_value();
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals: return !has || !has_value();
    case SelectorOperator::kExists: return has;
    case SelectorOperator::kDoesNotExist: return !has;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (!has || values.size() != 1) {
        return false;
      }
      auto have = ParseInt64(it->second);
      auto want = ParseInt64(values[0]);
      if (!have || !want) {
        return false;
      }
      return op == SelectorOperator::kGreaterThan ? *have > *want : *have < *want;
    }
  }
  return false;
}

std::string LabelRequirement::ToString() const {
  std::string out = op == SelectorOperator::kDoesNotExist ? "!" + key : key;
  switch (op) {
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist: return out;
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn: out += fmt::format(" {} (", OperatorName(op)); break;
    case SelectorOperator::kGreaterThan: out += ">"; break;
    case SelectorOperator::kLessThan: out += "<"; break;
    default: out += OperatorName(op);
  }
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  out += fmt::format("{}", fmt::join(sorted, ","));
  if (op == SelectorOperator::kIn || op == SelectorOperator::kNotIn) {
    out += ")";
  }
  return out;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::FromSet(const StringMap& labels) {
  LabelSelector s;
  for (const auto& [k, v] : labels) {
    s.requirements_.push_back(LabelRequirement{k, SelectorOperator::kEquals, {v}});
  }
  return s;
}

Result<LabelSelector> LabelSelector::FromJson(const Json& label_selector) {
  if (label_selector.is_null()) {
    return Nothing();
  }
  FieldReader r(label_selector, "");
  StringMap match_labels = r.StringMap("matchLabels");
  struct Expression {
    std::string key, op;
    std::vector<std::string> values;
  };
  auto expressions = r.List<Expression>(
      "matchExpressions", [](const Json& j, const std::string& path) -> Result<Expression> {
        FieldReader e(j, path);
        Expression x{e.String("key"), e.String("operator"), e.StringList("values")};
        CAPSTAN_TRY(e.Finish());
        return x;
      });
  CAPSTAN_TRY(r.Finish());
  LabelSelector s;
  for (const auto& [k, v] : match_labels) {
    CAPSTAN_ASSIGN_OR_RETURN(auto req, MakeLabelRequirement(k, SelectorOperator::kEquals, {v}));
    s.Add(std::move(req));
  }
  for (auto& x : expressions) {
    SelectorOperator op;
    if (x.op == "In") {
      op = SelectorOperator::kIn;
    } else if (x.op == "NotIn") {
      op = SelectorOperator::kNotIn;
    } else if (x.op == "Exists") {
      op = SelectorOperator::kExists;
    } else if (x.op == "DoesNotExist") {
      op = SelectorOperator::kDoesNotExist;
    } else {
      return Fail(Code::kInvalidArgument, "{} is not a valid label selector operator",
                  GoQuote(x.op));
    }
    CAPSTAN_ASSIGN_OR_RETURN(auto req,
                             MakeLabelRequirement(std::move(x.key), op, std::move(x.values)));
    s.Add(std::move(req));
  }
  return s;
}

void LabelSelector::Add(LabelRequirement r) {
  auto pos = std::upper_bound(
      requirements_.begin(), requirements_.end(), r.key,
      [](const std::string& key, const LabelRequirement& x) { return key < x.key; });
  requirements_.insert(pos, std::move(r));
}

bool LabelSelector::Matches(const StringMap& labels) const {
  if (nothing_) {
    return false;
  }
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.Matches(labels); });
}

bool LabelSelector::MatchesLabelsJson(const Json& labels) const {
  StringMap m;
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) {
        m.emplace(k, v.get<std::string>());
      }
    }
  }
  return Matches(m);
}

bool LabelSelector::MatchesObject(const Json& object) const {
  static const Json kNull;
  if (!object.is_object()) {
    return Matches({});
  }
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return Matches({});
  }
  auto labels = meta->find("labels");
  return MatchesLabelsJson(labels == meta->end() ? kNull : *labels);
}

std::optional<std::string> LabelSelector::RequiresExactMatch(std::string_view key) const {
  for (const auto& r : requirements_) {
    if (r.key != key) {
      continue;
    }
    bool exact = r.op == SelectorOperator::kEquals || r.op == SelectorOperator::kDoubleEquals ||
                 r.op == SelectorOperator::kIn;
    if (exact && r.values.size() == 1) {
      return r.values[0];
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string LabelSelector::ToString() const {
  std::vector<std::string> parts;
  if (!nothing_) {
    for (const auto& r : requirements_) {
      parts.push_back(r.ToString());
    }
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace capstan::api::k8s
